/**
 * What USM Anywhere answers, as zod schemas, and the clean types the rest of the facade
 * reads (`AlarmDocument`, `EventDocument`, `Page`).
 *
 * Contract: the schemas accept what real responses do beyond the vendor spec (see
 * /work/shared/upstream/README.md): pages without `_embedded` when empty; event items
 * under `_embedded.eventResources` or `_embedded.events`; timestamps as numbers or
 * strings of epoch ms, or only as their `*_iso8601` twin; an alarm's `events[]` flat or
 * wrapped under `message`; endpoints as `sources`/`destinations` objects and/or
 * `alarm_sources`/`alarm_destinations` strings; `null` for absent values. Unknown fields
 * pass through untouched and every document keeps its upstream JSON as `raw`. Only what
 * the facade cannot do without is required: an alarm's and an event's `uuid`, a page's
 * `page` block. Anything else malformed is refused with its path (see
 * `response.parser.ts`), never guessed. The `read*` functions are the one way a body
 * becomes a document: parse, then normalise.
 *
 * Cost: a 50-alarm page is parsed on every uncached list call, so the schemas are
 * `z.object` (strip mode, which zod compiles; unknown fields live on in `raw`, not in
 * the parsed copy), and documents get only their present values, assigned one by one:
 * no `delete` (which turns an object into a slow dictionary for every later reader) and
 * no generic copy loop. A document never has a key whose value is undefined.
 */
import { z } from 'zod';
import { parseBody, type ParseContext } from '../http/response.parser.js';

// ---- normalised types -------------------------------------------------------------

export interface AlarmEndpoint {
  address?: string;
  hostname?: string;
  fqdn?: string;
  assetId?: string;
  country?: string;
  organisation?: string;
  name?: string;
  eventCount?: number;
}

export interface EventDocument {
  /** The deployment the event belongs to. */
  deployment: string;
  uuid: string;
  eventName?: string;
  plugin?: string;
  accountName?: string;
  sourceName?: string;
  sourceUsername?: string;
  sourceAddress?: string;
  destinationAddress?: string;
  sensorUuid?: string;
  packetType?: string;
  suppressed?: boolean;
  priority?: number;
  /** Epoch ms. */
  timestampOccurred?: number;
  /** Epoch ms. */
  timestampReceived?: number;
  /** The event as the upstream sent it (unwrapped from `message` when it was wrapped). */
  raw: Record<string, unknown>;
}

export interface AlarmDocument {
  /** The deployment the alarm belongs to (for Central's alarms: from `tenantId`). */
  deployment: string;
  uuid: string;
  status?: string;
  priority?: number;
  priorityLabel?: string;
  suppressed?: boolean;
  ruleId?: string;
  ruleDictionary?: string;
  ruleIntent?: string;
  ruleMethod?: string;
  ruleStrategy?: string;
  ruleAttackId?: string;
  ruleAttackTactic: string[];
  ruleAttackTechnique?: string;
  /** `sources` objects, then an `{ address }` for each `alarm_sources` string no object named. */
  sources: AlarmEndpoint[];
  destinations: AlarmEndpoint[];
  sensorSources: string[];
  eventsCount?: number;
  /** Label IDs (`alarm_labels`). */
  labels: string[];
  sourceUsername?: string;
  /** Epoch ms. */
  timestampOccurred?: number;
  /** Epoch ms: when the alarm became visible, possibly minutes after it occurred. */
  timestampReceived?: number;
  events: EventDocument[];
  /** The alarm as the upstream sent it (Central: its whole wrapper). */
  raw: Record<string, unknown>;
}

export interface PageInfo {
  size: number;
  totalElements: number;
  totalPages: number;
  /** Zero-based. */
  number: number;
}

/** HAL links as the upstream wrote them (absolute hrefs on the upstream's host). */
export interface PageLinks {
  self?: string;
  first?: string;
  prev?: string;
  next?: string;
  last?: string;
}

export interface Page<T> {
  items: T[];
  page: PageInfo;
  links: PageLinks;
}

// ---- tolerant building blocks -------------------------------------------------------

const TIMESTAMP_RULE = 'must be epoch milliseconds (a number or a string of digits) or an ISO 8601 date';

// The lenient scalars below are one transform each rather than a union piped into a
// transform: a page holds hundreds of them, and a union allocates per branch tried.
const DIGITS = /^\s*-?\d+(\.\d+)?\s*$/;

/** Epoch ms from a number, a string of digits, or an ISO 8601 string. */
export const timestamp = z.unknown().transform((value, ctx): number => {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
  } else if (typeof value === 'string') {
    if (DIGITS.test(value)) return Number(value);
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed) && /^\d{4}-\d{2}-\d{2}/.test(value)) return parsed;
  }
  ctx.addIssue({ code: 'custom', message: TIMESTAMP_RULE, input: value });
  return z.NEVER;
});

/** A number, also when sent as a string of digits. */
const numeric = z.unknown().transform((value, ctx): number => {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && DIGITS.test(value)) return Number(value);
  ctx.addIssue({ code: 'custom', message: 'must be a number', input: value });
  return z.NEVER;
});

/** A list of strings, also when a single string was sent. */
const stringList = z.unknown().transform((value, ctx): string[] => {
  if (Array.isArray(value)) {
    let strings = true;
    for (const item of value) if (typeof item !== 'string') strings = false;
    if (strings) return value as string[];
  } else if (typeof value === 'string') {
    return [value];
  }
  ctx.addIssue({ code: 'custom', message: 'must be a list of strings', input: value });
  return z.NEVER;
});

const optionalText = z.string().nullish();

const link = z.object({ href: z.string(), templated: z.boolean().nullish() });
const links = z.object({
  self: link.nullish(),
  first: link.nullish(),
  prev: link.nullish(),
  next: link.nullish(),
  last: link.nullish(),
});

const pageInfoSchema = z.object({
  size: numeric,
  totalElements: numeric,
  totalPages: numeric,
  number: numeric,
});

// ---- events -------------------------------------------------------------------------

const eventSchema = z.object({
  uuid: z.string().min(1),
  event_name: optionalText,
  plugin: optionalText,
  account_name: optionalText,
  source_name: optionalText,
  source_username: optionalText,
  source_address: optionalText,
  destination_address: optionalText,
  sensor_uuid: optionalText,
  packet_type: optionalText,
  suppressed: z.boolean().nullish(),
  priority: numeric.nullish(),
  timestamp_occured: timestamp.nullish(),
  timestamp_received: timestamp.nullish(),
  timestamp_occured_iso8601: timestamp.nullish(),
  timestamp_received_iso8601: timestamp.nullish(),
});

export type ParsedEvent = z.output<typeof eventSchema>;

/** The event of an alarm's `events[]` item: the item itself, or its `message`. */
function unwrapEvent(item: unknown): unknown {
  return isRecord(item) && isRecord(item.message) ? item.message : item;
}

/** An alarm's `events[]` item: the event itself, or wrapped under `message`. */
export const alarmEventItemSchema = z.unknown().transform((value, ctx): ParsedEvent => {
  const wrapped = isRecord(value) && isRecord(value.message);
  const result = eventSchema.safeParse(unwrapEvent(value));
  if (!result.success) {
    for (const issue of result.error.issues) {
      ctx.addIssue({ code: 'custom', message: issue.message, path: wrapped ? ['message', ...issue.path] : issue.path });
    }
    return z.NEVER;
  }
  return result.data;
});

/** `raw` is the upstream JSON of this very event (already unwrapped). */
export function normaliseEvent(event: ParsedEvent, raw: unknown, deployment: string): EventDocument {
  // Only present values become keys (null means absent), assigned one by one: see `Cost` above.
  const doc: EventDocument = { deployment, uuid: event.uuid, raw: asRecord(raw) };
  if (event.event_name != null) doc.eventName = event.event_name;
  if (event.plugin != null) doc.plugin = event.plugin;
  if (event.account_name != null) doc.accountName = event.account_name;
  if (event.source_name != null) doc.sourceName = event.source_name;
  if (event.source_username != null) doc.sourceUsername = event.source_username;
  if (event.source_address != null) doc.sourceAddress = event.source_address;
  if (event.destination_address != null) doc.destinationAddress = event.destination_address;
  if (event.sensor_uuid != null) doc.sensorUuid = event.sensor_uuid;
  if (event.packet_type != null) doc.packetType = event.packet_type;
  if (event.suppressed != null) doc.suppressed = event.suppressed;
  if (event.priority != null) doc.priority = event.priority;
  const occurred = event.timestamp_occured ?? event.timestamp_occured_iso8601;
  if (occurred != null) doc.timestampOccurred = occurred;
  const received = event.timestamp_received ?? event.timestamp_received_iso8601;
  if (received != null) doc.timestampReceived = received;
  return doc;
}

// ---- alarms -------------------------------------------------------------------------

const endpointSchema = z.object({
  address: optionalText,
  hostname: optionalText,
  fqdn: optionalText,
  asset_id: optionalText,
  country: optionalText,
  organisation: optionalText,
  name: optionalText,
  event_count: numeric.nullish(),
});

export const alarmSchema = z.object({
  uuid: z.string().min(1),
  status: optionalText,
  priority: numeric.nullish(),
  priority_label: optionalText,
  suppressed: z.boolean().nullish(),
  rule_id: optionalText,
  rule_dictionary: optionalText,
  rule_intent: optionalText,
  rule_method: optionalText,
  rule_strategy: optionalText,
  rule_attack_id: optionalText,
  rule_attack_tactic: stringList.nullish(),
  rule_attack_technique: optionalText,
  alarm_sources: stringList.nullish(),
  alarm_destinations: stringList.nullish(),
  alarm_sensor_sources: stringList.nullish(),
  alarm_events_count: numeric.nullish(),
  alarm_labels: stringList.nullish(),
  source_username: optionalText,
  timestamp_occured: timestamp.nullish(),
  timestamp_received: timestamp.nullish(),
  timestamp_occured_iso8601: timestamp.nullish(),
  timestamp_received_iso8601: timestamp.nullish(),
  sources: z.array(endpointSchema).nullish(),
  destinations: z.array(endpointSchema).nullish(),
  events: z.array(alarmEventItemSchema).nullish(),
});

type ParsedAlarm = z.output<typeof alarmSchema>;

function endpoints(objects: z.output<typeof endpointSchema>[] | null | undefined, addresses: string[] | null | undefined): AlarmEndpoint[] {
  const result: AlarmEndpoint[] = (objects ?? []).map((o) => {
    const endpoint: AlarmEndpoint = {};
    if (o.address != null) endpoint.address = o.address;
    if (o.hostname != null) endpoint.hostname = o.hostname;
    if (o.fqdn != null) endpoint.fqdn = o.fqdn;
    if (o.asset_id != null) endpoint.assetId = o.asset_id;
    if (o.country != null) endpoint.country = o.country;
    if (o.organisation != null) endpoint.organisation = o.organisation;
    if (o.name != null) endpoint.name = o.name;
    if (o.event_count != null) endpoint.eventCount = o.event_count;
    return endpoint;
  });
  const known = new Set(result.map((e) => e.address));
  for (const address of addresses ?? []) {
    if (!known.has(address)) {
      known.add(address);
      result.push({ address });
    }
  }
  return result;
}

/** Parsed events next to their upstream JSON. */
export interface EventsWithRaw {
  parsed: ParsedEvent[];
  raw: unknown[];
}

/**
 * `raw` is the upstream JSON the alarm came from (for Central, the whole wrapper);
 * `events` default to the alarm's own `events[]`, but Central lifts them out of it.
 */
export function normaliseAlarm(
  alarm: ParsedAlarm,
  raw: unknown,
  deployment: string,
  events: EventsWithRaw = { parsed: alarm.events ?? [], raw: rawList(asRecord(raw).events) },
): AlarmDocument {
  const doc: AlarmDocument = {
    deployment,
    uuid: alarm.uuid,
    ruleAttackTactic: alarm.rule_attack_tactic ?? [],
    sources: endpoints(alarm.sources, alarm.alarm_sources),
    destinations: endpoints(alarm.destinations, alarm.alarm_destinations),
    sensorSources: alarm.alarm_sensor_sources ?? [],
    labels: alarm.alarm_labels ?? [],
    events: events.parsed.map((event, index) => normaliseEvent(event, unwrapEvent(events.raw[index]), deployment)),
    raw: asRecord(raw),
  };
  // Only present values become keys (null means absent), assigned one by one: see `Cost` above.
  if (alarm.status != null) doc.status = alarm.status;
  if (alarm.priority != null) doc.priority = alarm.priority;
  if (alarm.priority_label != null) doc.priorityLabel = alarm.priority_label;
  if (alarm.suppressed != null) doc.suppressed = alarm.suppressed;
  if (alarm.rule_id != null) doc.ruleId = alarm.rule_id;
  if (alarm.rule_dictionary != null) doc.ruleDictionary = alarm.rule_dictionary;
  if (alarm.rule_intent != null) doc.ruleIntent = alarm.rule_intent;
  if (alarm.rule_method != null) doc.ruleMethod = alarm.rule_method;
  if (alarm.rule_strategy != null) doc.ruleStrategy = alarm.rule_strategy;
  if (alarm.rule_attack_id != null) doc.ruleAttackId = alarm.rule_attack_id;
  if (alarm.rule_attack_technique != null) doc.ruleAttackTechnique = alarm.rule_attack_technique;
  if (alarm.alarm_events_count != null) doc.eventsCount = alarm.alarm_events_count;
  if (alarm.source_username != null) doc.sourceUsername = alarm.source_username;
  const occurred = alarm.timestamp_occured ?? alarm.timestamp_occured_iso8601;
  if (occurred != null) doc.timestampOccurred = occurred;
  const received = alarm.timestamp_received ?? alarm.timestamp_received_iso8601;
  if (received != null) doc.timestampReceived = received;
  return doc;
}

// ---- pages and small bodies ---------------------------------------------------------

/** A HAL page whose `_embedded` may be missing (empty page) and whose items sit under one of `keys`. */
export function halPageSchema<S extends z.ZodType>(item: S, keys: readonly string[]) {
  const embedded = z.object(Object.fromEntries(keys.map((key) => [key, z.array(item).nullish()])));
  return z.object({
    _links: links.nullish(),
    page: pageInfoSchema,
    _embedded: embedded.nullish(),
  });
}

const alarmPageSchema = halPageSchema(alarmSchema, ['alarms']);
export const eventPageSchema = halPageSchema(eventSchema, ['eventResources', 'events']);

const alarmLabelsSchema = z.object({ alarm_labels: stringList.nullish() });

/** The items of a parsed page, from the first of `keys` present. */
export function pageItems<T>(embedded: Record<string, unknown> | null | undefined, keys: readonly string[]): T[] {
  for (const key of keys) {
    const items = embedded?.[key];
    if (Array.isArray(items)) return items as T[];
  }
  return [];
}

export function pageLinks(parsed: z.output<typeof links> | null | undefined): PageLinks {
  const result: PageLinks = {};
  if (parsed?.self != null) result.self = parsed.self.href;
  if (parsed?.first != null) result.first = parsed.first.href;
  if (parsed?.prev != null) result.prev = parsed.prev.href;
  if (parsed?.next != null) result.next = parsed.next.href;
  if (parsed?.last != null) result.last = parsed.last.href;
  return result;
}

// ---- bodies to documents -------------------------------------------------------------

const ALARM_KEYS = ['alarms'] as const;
const EVENT_KEYS = ['eventResources', 'events'] as const;

/** The raw `_embedded` items of a page body, in the order the parsed ones come. */
export function rawItems(body: unknown, keys: readonly string[]): unknown[] {
  return pageItems<unknown>(isRecord(body) && isRecord(body._embedded) ? body._embedded : undefined, keys);
}

export function readAlarmPage(body: unknown, context: ParseContext): Page<AlarmDocument> {
  const parsed = parseBody(alarmPageSchema, body, context);
  const raw = rawItems(body, ALARM_KEYS);
  return {
    items: pageItems<ParsedAlarm>(parsed._embedded, ALARM_KEYS).map((alarm, i) => normaliseAlarm(alarm, raw[i], context.deployment)),
    page: parsed.page,
    links: pageLinks(parsed._links),
  };
}

export function readEventPage(body: unknown, context: ParseContext): Page<EventDocument> {
  const parsed = parseBody(eventPageSchema, body, context);
  const raw = rawItems(body, EVENT_KEYS);
  return {
    items: pageItems<ParsedEvent>(parsed._embedded, EVENT_KEYS).map((event, i) => normaliseEvent(event, raw[i], context.deployment)),
    page: parsed.page,
    links: pageLinks(parsed._links),
  };
}

export function readAlarm(body: unknown, context: ParseContext): AlarmDocument {
  return normaliseAlarm(parseBody(alarmSchema, body, context), body, context.deployment);
}

export function readEvent(body: unknown, context: ParseContext): EventDocument {
  return normaliseEvent(parseBody(eventSchema, body, context), body, context.deployment);
}

export function readAlarmLabels(body: unknown, context: ParseContext): string[] {
  return parseBody(alarmLabelsSchema, body, context).alarm_labels ?? [];
}

export function rawList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

