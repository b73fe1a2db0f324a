/**
 * The simulator's data model and its wire shapes.
 *
 * Contract: one `AlarmRecord` per alarm and one `EventRecord` per event; Anywhere and
 * Central render the same record, so an alarm seen through both is identical (labels
 * too). Documents are stored with hrefs that start with `ORIGIN`; the `*Bytes`
 * functions render them for one request origin (`http://host:port`) to UTF-8 once and
 * cache that until the record changes (`invalidate`) or another origin asks, because
 * the simulator serves benchmarks and re-serialising unchanged documents is its main
 * cost. Shapes mirror /work/shared/upstream/samples, field order included.
 */
import type { AlarmStatus, PriorityLabel } from './alarm.vocabulary.js';

/**
 * Stands where `http://<host>` goes in stored hrefs. It survives JSON.stringify as the
 * six characters `\u0000` plus `origin`, which no client input can produce (control
 * input rejects control characters), so a plain text replace is safe.
 */
export const ORIGIN = '\u0000origin';
const ORIGIN_IN_JSON = JSON.stringify(ORIGIN).slice(1, -1);

function withOrigin(json: string, origin: string): string {
  return json.replaceAll(ORIGIN_IN_JSON, origin);
}

/** One simulated USM Anywhere deployment as Central knows it. */
export interface DeploymentProfile {
  name: string;
  /** `/<name>/api/2.0` */
  apiBase: string;
  fqdn: string;
  /** `cn://<fqdn>`, Central's id and an alarm's `tenantId`. */
  centralId: string;
  licenseKey: string;
  /** The alarms' `x_att_tenantid`. */
  tenantId: string;
  joinedSince: number;
  connected: boolean;
  sensors: string[];
}

export interface EventRecord {
  uuid: string;
  deployment: DeploymentProfile;
  occurred: number;
  received: number;
  event_name: string;
  plugin: string;
  source_name: string;
  source_username: string | null;
  sensor_uuid: string;
  source_address: string;
  destination_address: string;
  account_name: string;
  has_alarm: boolean;
  needs_enrichment: boolean;
  priority: number;
  suppressed: boolean;
  /** Cached rendering of the `/events/{id}` document (the event never changes). */
  rendered?: Rendering;
}

export interface SourceObject {
  address: string;
  hostname?: string;
  fqdn?: string;
  asset_id?: string;
  country?: string;
  event_count: number;
}

/** The Anywhere alarm document, as lists and details return it. */
export interface AlarmDocument {
  uuid: string;
  has_alarm: false;
  needs_enrichment: boolean;
  priority: number;
  priority_label: PriorityLabel;
  suppressed: boolean;
  status: AlarmStatus;
  rule_id: string;
  rule_dictionary: string;
  rule_intent: string;
  rule_method: string;
  rule_strategy: string;
  rule_attack_id: string;
  rule_attack_tactic: string[];
  rule_attack_technique: string;
  alarm_sources: string[];
  alarm_destinations: string[];
  alarm_sensor_sources: string[];
  alarm_events_count: number;
  alarm_labels: string[];
  source_username: string;
  timestamp_occured: string;
  timestamp_received: string;
  packet_type: 'alarm';
  x_att_tenantid: string;
  highlight_fields: string[];
  /**
   * Left undefined in storage (JSON.stringify skips it) and filled in when rendered:
   * the key only holds the place, so `events` comes out where the sample has it.
   */
  events?: undefined;
  _links: { self: { href: string } };
  sources?: SourceObject[];
  destinations?: SourceObject[];
  timestamp_occured_iso8601?: string;
  timestamp_received_iso8601?: string;
}

export interface AlarmRecord {
  uuid: string;
  deployment: DeploymentProfile;
  occurred: number;
  received: number;
  doc: AlarmDocument;
  events: EventRecord[];
  /** How this alarm's `events[]` are shaped: real alarms come both ways. */
  eventShape: 'flat' | 'wrapped';
  anywhere?: Rendering;
  central?: Rendering;
}

function eventHref(event: EventRecord): string {
  return `${ORIGIN}${event.deployment.apiBase}/events/${event.uuid}`;
}

/** The fields every event shape shares (the `message` of a wrapped event; Central's `events[]`). */
function eventCore(event: EventRecord): Record<string, unknown> {
  return {
    uuid: event.uuid,
    event_name: event.event_name,
    plugin: event.plugin,
    source_name: event.source_name,
    source_username: event.source_username,
    sensor_uuid: event.sensor_uuid,
    timestamp_occured: String(event.occurred),
    timestamp_received: String(event.received),
    packet_type: 'log',
    _links: { self: { href: eventHref(event) } },
  };
}

/** The vendor spec's `AlarmEvent`: flat, with the enrichment flags. */
function eventFlat(event: EventRecord): Record<string, unknown> {
  return {
    ...eventCore(event),
    has_alarm: event.has_alarm,
    needs_enrichment: event.needs_enrichment,
    priority: event.priority,
    suppressed: event.suppressed,
    source_address: event.source_address,
  };
}

/** The shape real alarms often carry: the event under `message`, with a templated link. */
function eventWrapped(event: EventRecord): Record<string, unknown> {
  return {
    message: eventCore(event),
    _links: { self: { href: `${ORIGIN}${event.deployment.apiBase}/events/{eventId}`, templated: true } },
  };
}

/** Rendered bytes of one document for one origin. */
interface Rendering {
  origin: string;
  bytes: Buffer;
}

function render(slot: Rendering | undefined, origin: string, build: () => unknown): Rendering {
  if (slot !== undefined && slot.origin === origin) return slot;
  return { origin, bytes: Buffer.from(withOrigin(JSON.stringify(build()), origin)) };
}

/** `GET /events/{id}` and the items of an event page: the flat event plus what only the event API shows. */
export function eventBytes(event: EventRecord, origin: string): Buffer {
  event.rendered = render(event.rendered, origin, () => ({
    ...eventFlat(event),
    destination_address: event.destination_address,
    account_name: event.account_name,
  }));
  return event.rendered.bytes;
}

/** The Anywhere alarm document, in lists and details alike. */
export function alarmBytes(alarm: AlarmRecord, origin: string): Buffer {
  alarm.anywhere = render(alarm.anywhere, origin, () => ({
    ...alarm.doc,
    events: alarm.events.map(alarm.eventShape === 'flat' ? eventFlat : eventWrapped),
  }));
  return alarm.anywhere.bytes;
}

/**
 * Central's shape of the same alarm (samples/central-alarm.json): the Anywhere
 * document without `events`, which Central lifts to the top level in their plain
 * shape, wrapped with the tenant's ids. Key order follows the sample.
 */
export function centralAlarmBytes(alarm: AlarmRecord, origin: string, msspId: string): Buffer {
  alarm.central = render(alarm.central, origin, () => ({
    events: alarm.events.map(eventCore),
    '@timestamp': new Date(alarm.received).toISOString(),
    alarm: alarm.doc,
    licenseId: alarm.deployment.licenseKey,
    id: alarm.uuid,
    timestamp: alarm.received,
    msspId,
    '@version': 1,
    assets: [],
    tenantId: alarm.deployment.centralId,
  }));
  return alarm.central.bytes;
}

/** Drops cached renderings after a change (labels). */
export function invalidate(alarm: AlarmRecord): void {
  alarm.anywhere = undefined;
  alarm.central = undefined;
}
