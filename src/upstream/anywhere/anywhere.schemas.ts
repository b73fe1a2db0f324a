/**
 * What USM Anywhere answers, and the clean types the rest of the facade reads
 * (`AlarmDocument`, `EventDocument`, `Page`).
 *
 * Contract: the readers accept what real responses do beyond the vendor spec (see
 * /work/shared/upstream/README.md): pages without `_embedded` when empty; event items
 * under `_embedded.eventResources` or `_embedded.events`; timestamps as numbers or
 * strings of epoch ms, or only as their `*_iso8601` twin (read only when the plain field
 * is absent); an alarm's `events[]` flat or wrapped under `message`; endpoints as
 * `sources`/`destinations` objects and/or `alarm_sources`/`alarm_destinations` strings;
 * `null` for absent values. Unknown fields pass through untouched and every document
 * keeps its upstream JSON as `raw`. Only what the facade cannot do without is required:
 * an alarm's and an event's `uuid`, a page's `page` block. Anything else malformed is
 * refused with its path (`shapeError` in `response.parser.ts`), never guessed. The
 * `read*` functions are the one way a body becomes a document.
 *
 * Cost: a 50-alarm page is read on every uncached list call. Page envelopes are zod
 * schemas; alarms and events are read field by field by hand (see "reading documents by
 * hand" below for why), and documents get only their present values, assigned one by
 * one: no `delete` (which turns an object into a slow dictionary for every later reader)
 * and no generic copy loop. A document never has a key whose value is undefined.
 */
import { z } from 'zod';
import { parseBody, shapeError, type ParseContext } from '../http/response.parser.js';

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

// ---- tolerant scalars -----------------------------------------------------------------

const TIMESTAMP_RULE = 'must be epoch milliseconds (a number or a string of digits) or an ISO 8601 date';
const DIGITS = /^\s*-?\d+(\.\d+)?\s*$/;

/** Epoch ms from a number, a string of digits, or an ISO 8601 string; undefined for anything else. */
function epochMsOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  if (DIGITS.test(value)) return Number(value);
  const parsed = Date.parse(value);
  return !Number.isNaN(parsed) && /^\d{4}-\d{2}-\d{2}/.test(value) ? parsed : undefined;
}

/** A number, also when sent as a string of digits; undefined for anything else. */
function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  return typeof value === 'string' && DIGITS.test(value) ? Number(value) : undefined;
}

/** Epoch ms, as a zod scalar for the bodies read with zod (Central's, page blocks). */
export const timestamp = z.unknown().transform((value, ctx): number => {
  const ms = epochMsOf(value);
  if (ms !== undefined) return ms;
  ctx.addIssue({ code: 'custom', message: TIMESTAMP_RULE, input: value });
  return z.NEVER;
});

const numeric = z.unknown().transform((value, ctx): number => {
  const n = numberOf(value);
  if (n !== undefined) return n;
  ctx.addIssue({ code: 'custom', message: 'must be a number', input: value });
  return z.NEVER;
});

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

// ---- reading documents by hand --------------------------------------------------------
//
// Alarms and events are read field by field rather than through zod: a page holds
// ~60 alarms and ~300 events, and zod allocates a result and an issue list per field
// checked, which was a third of what an uncached list request allocated. Each reader
// below takes the object, the key and the object's path in the body (for the error
// only); absent and null are both "not there".

/** An object of a body being read, with its path in the body and what the body is. */
export interface BodyObject {
  value: Record<string, unknown>;
  /** Path of `value` in the body, `''` when it is the body itself. */
  at: string;
  context: ParseContext;
}

/** The path of `key` in the object at path `at`, as error messages name it. */
export const pathOf = (at: string, key: string) => (at === '' ? key : `${at}.${key}`);

function fail(source: BodyObject, key: string, rule: string): never {
  throw shapeError(source.context, pathOf(source.at, key), rule);
}

export function textField(source: BodyObject, key: string): string | undefined {
  const value = source.value[key];
  if (typeof value === 'string') return value;
  return value == null ? undefined : fail(source, key, 'must be a string');
}

function idField(source: BodyObject, key: string): string {
  const value = source.value[key];
  return typeof value === 'string' && value !== '' ? value : fail(source, key, 'must be a non-empty string');
}

function flagField(source: BodyObject, key: string): boolean | undefined {
  const value = source.value[key];
  if (typeof value === 'boolean') return value;
  return value == null ? undefined : fail(source, key, 'must be true or false');
}

function numberField(source: BodyObject, key: string): number | undefined {
  const value = source.value[key];
  return value == null ? undefined : (numberOf(value) ?? fail(source, key, 'must be a number'));
}

/** Epoch ms from `key`, or from its `<key>_iso8601` twin, which is read only when `key` is absent. */
function timeField(source: BodyObject, key: string): number | undefined {
  const value = source.value[key];
  if (value != null) return epochMsOf(value) ?? fail(source, key, TIMESTAMP_RULE);
  const twin = `${key}_iso8601`;
  const iso = source.value[twin];
  return iso == null ? undefined : (epochMsOf(iso) ?? fail(source, twin, TIMESTAMP_RULE));
}

/** A list of strings, also when a single string was sent. */
function stringsField(source: BodyObject, key: string): string[] | undefined {
  const value = source.value[key];
  if (value == null) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  return fail(source, key, 'must be a list of strings');
}

/** The object at `key`. */
export function objectField(source: BodyObject, key: string): BodyObject {
  const value = source.value[key];
  return isRecord(value) ? { value, at: pathOf(source.at, key), context: source.context } : fail(source, key, 'must be an object');
}

/** The objects of the list at `key`, each with its path. */
function objectsField(source: BodyObject, key: string): BodyObject[] {
  const value = source.value[key];
  if (value == null) return [];
  if (!Array.isArray(value)) return fail(source, key, 'must be a list of objects');
  const at = pathOf(source.at, key);
  return value.map((item, index) => {
    if (!isRecord(item)) throw shapeError(source.context, `${at}[${index}]`, 'must be an object');
    return { value: item, at: `${at}[${index}]`, context: source.context };
  });
}

/** Sets `doc[key]` only when `value` is there: a document never has a key whose value is undefined. */
function put<D, K extends keyof D>(doc: D, key: K, value: D[K] | undefined): void {
  if (value !== undefined) doc[key] = value;
}

// ---- events -------------------------------------------------------------------------

/** Reads one event; `source.value` is its upstream JSON and becomes its `raw`. */
export function readEventFields(source: BodyObject, deployment: string): EventDocument {
  // Only present values become keys, assigned one by one: see `Cost` above.
  const doc: EventDocument = { deployment, uuid: idField(source, 'uuid'), raw: source.value };
  put(doc, 'eventName', textField(source, 'event_name'));
  put(doc, 'plugin', textField(source, 'plugin'));
  put(doc, 'accountName', textField(source, 'account_name'));
  put(doc, 'sourceName', textField(source, 'source_name'));
  put(doc, 'sourceUsername', textField(source, 'source_username'));
  put(doc, 'sourceAddress', textField(source, 'source_address'));
  put(doc, 'destinationAddress', textField(source, 'destination_address'));
  put(doc, 'sensorUuid', textField(source, 'sensor_uuid'));
  put(doc, 'packetType', textField(source, 'packet_type'));
  put(doc, 'suppressed', flagField(source, 'suppressed'));
  put(doc, 'priority', numberField(source, 'priority'));
  put(doc, 'timestampOccurred', timeField(source, 'timestamp_occured'));
  put(doc, 'timestampReceived', timeField(source, 'timestamp_received'));
  return doc;
}

/** The events of an alarm's list at `key`: each item is the event itself, or wraps it under `message`. */
export function readAlarmEvents(source: BodyObject, key: string, deployment: string): EventDocument[] {
  return objectsField(source, key).map((item) =>
    isRecord(item.value.message)
      ? readEventFields({ value: item.value.message, at: `${item.at}.message`, context: item.context }, deployment)
      : readEventFields(item, deployment),
  );
}

// ---- alarms -------------------------------------------------------------------------

/** `sources` objects, then an `{ address }` for each address in `addressKey` that no object named. */
function endpoints(source: BodyObject, key: string, addressKey: string): AlarmEndpoint[] {
  const result = objectsField(source, key).map((item) => {
    const endpoint: AlarmEndpoint = {};
    put(endpoint, 'address', textField(item, 'address'));
    put(endpoint, 'hostname', textField(item, 'hostname'));
    put(endpoint, 'fqdn', textField(item, 'fqdn'));
    put(endpoint, 'assetId', textField(item, 'asset_id'));
    put(endpoint, 'country', textField(item, 'country'));
    put(endpoint, 'organisation', textField(item, 'organisation'));
    put(endpoint, 'name', textField(item, 'name'));
    put(endpoint, 'eventCount', numberField(item, 'event_count'));
    return endpoint;
  });
  const addresses = stringsField(source, addressKey);
  if (addresses === undefined) return result;
  const known = new Set(result.map((e) => e.address));
  for (const address of addresses) {
    if (!known.has(address)) {
      known.add(address);
      result.push({ address });
    }
  }
  return result;
}

/**
 * Reads one alarm. `raw` is what the document keeps as its upstream JSON (for Central,
 * the whole wrapper); `events`, when given, are the alarm's events read elsewhere
 * (Central lifts them out of the alarm); otherwise they are the alarm's own `events[]`.
 */
export function readAlarmFields(
  source: BodyObject,
  deployment: string,
  raw: Record<string, unknown> = source.value,
  events: EventDocument[] = readAlarmEvents(source, 'events', deployment),
): AlarmDocument {
  const doc: AlarmDocument = {
    deployment,
    uuid: idField(source, 'uuid'),
    ruleAttackTactic: stringsField(source, 'rule_attack_tactic') ?? [],
    sources: endpoints(source, 'sources', 'alarm_sources'),
    destinations: endpoints(source, 'destinations', 'alarm_destinations'),
    sensorSources: stringsField(source, 'alarm_sensor_sources') ?? [],
    labels: stringsField(source, 'alarm_labels') ?? [],
    events,
    raw,
  };
  // Only present values become keys, assigned one by one: see `Cost` above.
  put(doc, 'status', textField(source, 'status'));
  put(doc, 'priority', numberField(source, 'priority'));
  put(doc, 'priorityLabel', textField(source, 'priority_label'));
  put(doc, 'suppressed', flagField(source, 'suppressed'));
  put(doc, 'ruleId', textField(source, 'rule_id'));
  put(doc, 'ruleDictionary', textField(source, 'rule_dictionary'));
  put(doc, 'ruleIntent', textField(source, 'rule_intent'));
  put(doc, 'ruleMethod', textField(source, 'rule_method'));
  put(doc, 'ruleStrategy', textField(source, 'rule_strategy'));
  put(doc, 'ruleAttackId', textField(source, 'rule_attack_id'));
  put(doc, 'ruleAttackTechnique', textField(source, 'rule_attack_technique'));
  put(doc, 'eventsCount', numberField(source, 'alarm_events_count'));
  put(doc, 'sourceUsername', textField(source, 'source_username'));
  put(doc, 'timestampOccurred', timeField(source, 'timestamp_occured'));
  put(doc, 'timestampReceived', timeField(source, 'timestamp_received'));
  return doc;
}

// ---- pages and small bodies ---------------------------------------------------------

/** A HAL page's envelope (links, page block, `_embedded` with items under one of `keys`); items are read by hand. */
function halPageSchema(keys: readonly string[]) {
  const embedded = z.object(Object.fromEntries(keys.map((key) => [key, z.array(z.unknown()).nullish()])));
  return z.object({
    _links: links.nullish(),
    page: pageInfoSchema,
    _embedded: embedded.nullish(),
  });
}

/**
 * A reader of HAL pages whose items sit under the first of `keys` present (a page
 * without `_embedded` is empty): the envelope is checked with zod, each item is given to
 * `readItem` with its path.
 */
export function pageReader(keys: readonly string[]) {
  const schema = halPageSchema(keys);
  return <T>(body: unknown, context: ParseContext, readItem: (item: BodyObject) => T): Page<T> => {
    const parsed = parseBody(schema, body, context);
    const embedded = parsed._embedded;
    const key = keys.find((candidate) => Array.isArray(embedded?.[candidate]));
    const items = embedded == null || key === undefined ? [] : objectsField({ value: embedded, at: '_embedded', context }, key);
    return { items: items.map(readItem), page: parsed.page, links: pageLinks(parsed._links) };
  };
}

function pageLinks(parsed: z.output<typeof links> | null | undefined): PageLinks {
  const result: PageLinks = {};
  if (parsed?.self != null) result.self = parsed.self.href;
  if (parsed?.first != null) result.first = parsed.first.href;
  if (parsed?.prev != null) result.prev = parsed.prev.href;
  if (parsed?.next != null) result.next = parsed.next.href;
  if (parsed?.last != null) result.last = parsed.last.href;
  return result;
}

/** The body itself as a `BodyObject`, or UPSTREAM_INVALID_RESPONSE when it is not an object. */
export function bodyObject(body: unknown, context: ParseContext): BodyObject {
  if (!isRecord(body)) throw shapeError(context, '', 'must be an object');
  return { value: body, at: '', context };
}

// ---- bodies to documents -------------------------------------------------------------

export const alarmPages = pageReader(['alarms']);
export const eventPages = pageReader(['eventResources', 'events']);

/**
 * Documents read from page items, by the item's object. The HTTP client hands back the
 * same object for an element it parsed before (same bytes), so a document that comes
 * back unchanged is read once. Weak: an item the client forgets takes its document along.
 */
const alarmsRead = new WeakMap<object, AlarmDocument>();
const eventsRead = new WeakMap<object, EventDocument>();

function readOnce<T extends { deployment: string }>(known: WeakMap<object, T>, item: BodyObject, deployment: string, read: () => T): T {
  const doc = known.get(item.value);
  if (doc !== undefined && doc.deployment === deployment) return doc;
  const fresh = read();
  known.set(item.value, fresh);
  return fresh;
}

export function readAlarmPage(body: unknown, context: ParseContext): Page<AlarmDocument> {
  const { deployment } = context;
  return alarmPages(body, context, (item) => readOnce(alarmsRead, item, deployment, () => readAlarmFields(item, deployment)));
}

export function readEventPage(body: unknown, context: ParseContext): Page<EventDocument> {
  const { deployment } = context;
  return eventPages(body, context, (item) => readOnce(eventsRead, item, deployment, () => readEventFields(item, deployment)));
}

export function readAlarm(body: unknown, context: ParseContext): AlarmDocument {
  return readAlarmFields(bodyObject(body, context), context.deployment);
}

export function readEvent(body: unknown, context: ParseContext): EventDocument {
  return readEventFields(bodyObject(body, context), context.deployment);
}

export function readAlarmLabels(body: unknown, context: ParseContext): string[] {
  return stringsField(bodyObject(body, context), 'alarm_labels') ?? [];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
