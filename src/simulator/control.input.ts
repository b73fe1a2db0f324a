/**
 * Reads and checks the JSON bodies and query parameters of the control API (`/__sim/…`).
 *
 * Contract: every reader returns typed values or throws `HttpProblem(400)` naming the
 * field or parameter, what was given and what is allowed. Unknown fields and
 * parameters are refused rather than ignored, and a parameter given twice is refused
 * rather than one of them picked, because a typo (`timestamp_occurred`) silently ignored would make a test
 * pass for the wrong reason. Strings may not contain control characters (stored
 * documents use one as a placeholder, see alarm.record.ts).
 */
import type { AlarmOverrides } from './alarm.generator.js';
import { ALARM_STATUSES, PRIORITY_LABELS, priorityLabelOf, type AlarmStatus, type PriorityLabel } from './alarm.vocabulary.js';
import { HttpProblem } from './json.reply.js';
import { isUuid } from './list.query.js';

export type JsonObject = Record<string, unknown>;

const MAX_BODY_FIELDS_TEXT = 200;
const PLAIN_TEXT = /^[^\u0000-\u001f\u007f]+$/;

export function parseJsonObject(text: string, what = 'body'): JsonObject {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpProblem(400, `${what} must be a JSON object; it is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpProblem(400, `${what} must be a JSON object`);
  }
  return value as JsonObject;
}

export function refuseUnknown(object: JsonObject, allowed: readonly string[], what = 'body'): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      throw new HttpProblem(400, `${what} has an unknown field '${key}'; allowed: ${allowed.join(', ')}`);
    }
  }
}

export function optionalText(object: JsonObject, name: string, max = MAX_BODY_FIELDS_TEXT): string | undefined {
  const value = object[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > max || !PLAIN_TEXT.test(value)) {
    throw new HttpProblem(400, `${name} must be a non-empty string of at most ${max} characters without control characters`);
  }
  return value;
}

export function requiredText(object: JsonObject, name: string): string {
  const value = optionalText(object, name);
  if (value === undefined) throw new HttpProblem(400, `${name} is required`);
  return value;
}

export function refuseUnknownParameters(query: URLSearchParams, allowed: readonly string[]): void {
  for (const key of new Set(query.keys())) {
    if (!allowed.includes(key)) {
      throw new HttpProblem(400, `unknown query parameter '${key}'; allowed: ${allowed.join(', ')}`);
    }
    if (query.getAll(key).length > 1) throw new HttpProblem(400, `query parameter ${key} is given more than once; give it once`);
  }
}

/** An integer query parameter written in decimal digits, from `min` to `max`; `fallback` when absent. */
export function integerParameter(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new HttpProblem(400, `${name} must be an integer from ${min} to ${max}; got ${JSON.stringify(text)}`);
  }
  return value;
}

function optionalInteger(object: JsonObject, name: string, min: number, max: number): number | undefined {
  const value = object[name];
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new HttpProblem(400, `${name} must be an integer from ${min} to ${max}; got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function optionalBoolean(object: JsonObject, name: string): boolean | undefined {
  const value = object[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new HttpProblem(400, `${name} must be true or false; got ${JSON.stringify(value)}`);
  return value;
}

function optionalEnum<T extends string>(object: JsonObject, name: string, values: readonly T[]): T | undefined {
  const value = object[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !values.includes(value as T)) {
    throw new HttpProblem(400, `${name} must be one of ${values.join(', ')}; got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function optionalTextList(
  object: JsonObject,
  name: string,
  check: (item: string) => boolean = () => true,
  rule = 'non-empty strings',
): string[] | undefined {
  const value = object[name];
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length > 50 ||
    !value.every((v) => typeof v === 'string' && v.length <= MAX_BODY_FIELDS_TEXT && PLAIN_TEXT.test(v) && check(v))
  ) {
    throw new HttpProblem(400, `${name} must be an array of at most 50 ${rule}`);
  }
  return [...new Set(value as string[])];
}

const OVERRIDE_FIELDS = [
  'uuid',
  'priority',
  'priority_label',
  'status',
  'suppressed',
  'needs_enrichment',
  'rule_id',
  'rule_intent',
  'rule_method',
  'rule_strategy',
  'rule_attack_id',
  'rule_attack_tactic',
  'rule_attack_technique',
  'source_username',
  'alarm_sources',
  'alarm_destinations',
  'alarm_sensor_sources',
  'alarm_labels',
  'alarm_events_count',
  'timestamp_occured',
] as const;

/** One entry of `POST /__sim/alarms` `alarms[]`; `now` is when the alarm becomes visible. */
function parseAlarmOverrides(value: unknown, index: number, now: number): AlarmOverrides {
  const what = `alarms[${index}]`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpProblem(400, `${what} must be an object of alarm fields`);
  }
  const object = value as JsonObject;
  refuseUnknown(object, OVERRIDE_FIELDS, what);
  const at = (problem: HttpProblem) => new HttpProblem(problem.status, `${what}.${problem.message}`);
  try {
    const uuid = optionalText(object, 'uuid');
    if (uuid !== undefined && !isUuid(uuid)) throw new HttpProblem(400, `uuid must be a UUID; got '${uuid}'`);
    const priority = optionalInteger(object, 'priority', 0, 100);
    const priorityLabel = optionalEnum<PriorityLabel>(object, 'priority_label', PRIORITY_LABELS);
    if (priority !== undefined && priorityLabel !== undefined && priorityLabelOf(priority) !== priorityLabel) {
      throw new HttpProblem(
        400,
        `priority_label '${priorityLabel}' disagrees with priority ${priority} (${priorityLabelOf(priority)}); give one of them`,
      );
    }
    const occurredRaw = object.timestamp_occured;
    let occurred: number | undefined;
    if (occurredRaw !== undefined) {
      const parsed = typeof occurredRaw === 'string' && /^\d{1,16}$/.test(occurredRaw) ? Number(occurredRaw) : occurredRaw;
      if (!Number.isSafeInteger(parsed) || (parsed as number) < 0) {
        throw new HttpProblem(400, `timestamp_occured must be epoch milliseconds (a number or a string of digits)`);
      }
      if ((parsed as number) > now) {
        throw new HttpProblem(400, `timestamp_occured must not be later than now (${now}), when the alarm is received`);
      }
      occurred = parsed as number;
    }
    const overrides: AlarmOverrides = {
      uuid: uuid?.toLowerCase(),
      priority,
      priority_label: priorityLabel,
      status: optionalEnum<AlarmStatus>(object, 'status', ALARM_STATUSES),
      suppressed: optionalBoolean(object, 'suppressed'),
      needs_enrichment: optionalBoolean(object, 'needs_enrichment'),
      rule_id: optionalText(object, 'rule_id'),
      rule_intent: optionalText(object, 'rule_intent'),
      rule_method: optionalText(object, 'rule_method'),
      rule_strategy: optionalText(object, 'rule_strategy'),
      rule_attack_id: optionalText(object, 'rule_attack_id'),
      rule_attack_tactic: optionalTextList(object, 'rule_attack_tactic'),
      rule_attack_technique: optionalText(object, 'rule_attack_technique'),
      source_username: optionalText(object, 'source_username'),
      alarm_sources: nonEmpty(optionalTextList(object, 'alarm_sources'), 'alarm_sources'),
      alarm_destinations: nonEmpty(optionalTextList(object, 'alarm_destinations'), 'alarm_destinations'),
      alarm_sensor_sources: nonEmpty(
        optionalTextList(object, 'alarm_sensor_sources', isUuid, 'UUIDs')?.map((s) => s.toLowerCase()),
        'alarm_sensor_sources',
      ),
      alarm_labels: optionalTextList(object, 'alarm_labels', (l) => l.length <= 128, 'label ids of at most 128 characters'),
      alarm_events_count: optionalInteger(object, 'alarm_events_count', 1, 20),
      timestamp_occured: occurred,
    };
    for (const key of Object.keys(overrides) as Array<keyof AlarmOverrides>) {
      if (overrides[key] === undefined) delete overrides[key];
    }
    return overrides;
  } catch (error) {
    throw error instanceof HttpProblem ? at(error) : error;
  }
}

function nonEmpty(list: string[] | undefined, name: string): string[] | undefined {
  if (list !== undefined && list.length === 0) throw new HttpProblem(400, `${name} must not be empty`);
  return list;
}

/** `count` and `alarms` of `POST /__sim/alarms`: how many alarms, with which overrides. */
export function parseAlarmBatch(body: JsonObject, now: number): AlarmOverrides[] {
  const count = optionalInteger(body, 'count', 1, 10_000);
  const alarms = body.alarms;
  if (alarms === undefined) return Array.from({ length: count ?? 1 }, () => ({}));
  if (!Array.isArray(alarms) || alarms.length === 0 || alarms.length > 10_000) {
    throw new HttpProblem(400, 'alarms must be an array of 1 to 10000 objects of alarm fields');
  }
  if (count !== undefined && count !== alarms.length) {
    throw new HttpProblem(400, `count (${count}) disagrees with the ${alarms.length} entries of alarms; give one of them`);
  }
  return alarms.map((entry, i) => parseAlarmOverrides(entry, i, now));
}
