/**
 * Builds deterministic alarms and events for one deployment.
 *
 * Contract: given the same `SeededRandom` state, the same sequence of calls produces
 * the same records. Overrides are applied after the draws, so overriding a field
 * never changes the generated values of the alarm's other fields. Ids are unique
 * across the whole simulator (`taken` is shared), because Central looks alarms and
 * events up by id across every deployment.
 *
 * The data plays real responses, not the vendor spec: timestamps are strings of epoch
 * ms, the `*_iso8601` twins are missing on some alarms, some alarms carry only the
 * `alarm_sources`/`alarm_destinations` strings without the `sources`/`destinations`
 * objects, and an alarm's events are either flat (spec) or wrapped under `message`.
 */
import {
  ORIGIN,
  type AlarmDocument,
  type AlarmRecord,
  type DeploymentProfile,
  type EventRecord,
  type SourceObject,
} from './alarm.record.js';
import {
  ACCOUNT_NAMES,
  COUNTRIES,
  DETECTION_RULES,
  EVENT_NAMES,
  EVENT_PLUGINS,
  HIGHLIGHT_FIELDS,
  LABEL_IDS,
  PRIORITIES,
  PRIORITY_OF_LABEL,
  PRIORITY_WEIGHTS,
  USERNAMES,
  priorityLabelOf,
  type AlarmStatus,
  type PriorityLabel,
} from './alarm.vocabulary.js';
import type { SeededRandom } from './seeded.random.js';

/** Fields a caller of `POST /__sim/alarms` may set; already validated. */
export interface AlarmOverrides {
  uuid?: string;
  priority?: number;
  priority_label?: PriorityLabel;
  status?: AlarmStatus;
  suppressed?: boolean;
  needs_enrichment?: boolean;
  rule_id?: string;
  rule_intent?: string;
  rule_method?: string;
  rule_strategy?: string;
  rule_attack_id?: string;
  rule_attack_tactic?: string[];
  rule_attack_technique?: string;
  source_username?: string;
  alarm_sources?: string[];
  alarm_destinations?: string[];
  alarm_sensor_sources?: string[];
  alarm_labels?: string[];
  alarm_events_count?: number;
  /** Epoch ms; defaults to the creation time. */
  timestamp_occured?: number;
}

const DAY_MS = 86_400_000;
/** Most alarms wait in the queue; a fifth are being looked at, a fifth are done. */
const STATUS_MIX: readonly AlarmStatus[] = ['open', 'in_review', 'closed'];
const STATUS_WEIGHTS = [6, 2, 2] as const;
const HISTORY_MS = 14 * DAY_MS;

export class AlarmGenerator {
  constructor(
    private readonly random: SeededRandom,
    private readonly taken: Set<string>,
  ) {}

  /** A delay between occurrence and visibility: seconds usually, minutes for late arrivals. */
  arrivalDelay(): number {
    return this.random.chance(0.9) ? this.random.int(0, 5_000) : this.random.int(60_000, 30 * 60_000);
  }

  /** An alarm from the 14 days before `base`, received no later than `base`. */
  historicAlarm(deployment: DeploymentProfile, base: number): AlarmRecord {
    const delay = this.arrivalDelay();
    const occurred = base - HISTORY_MS + Math.floor(this.random.next() * (HISTORY_MS - delay));
    return this.alarm(deployment, occurred, occurred + delay, {});
  }

  /** An event that raised no alarm, from the 14 days before `base`. */
  historicEvent(deployment: DeploymentProfile, base: number): EventRecord {
    const delay = this.random.int(0, 5_000);
    const occurred = base - HISTORY_MS + Math.floor(this.random.next() * (HISTORY_MS - delay));
    const source = this.random.address('10.1');
    const event = this.event(deployment, occurred, occurred + delay, {
      source,
      destination: this.random.address('10.9'),
      sensor: this.random.pick(deployment.sensors),
      username: this.random.pick(USERNAMES),
      priority: this.random.pick([0, 10, 20] as const),
      suppressed: this.random.chance(0.05),
    });
    event.has_alarm = false;
    return event;
  }

  alarm(deployment: DeploymentProfile, occurred: number, received: number, overrides: AlarmOverrides): AlarmRecord {
    const r = this.random;
    const generatedUuid = this.mintId();
    const rule = r.pick(DETECTION_RULES);
    const generatedPriority = r.weighted(PRIORITIES, PRIORITY_WEIGHTS);
    const status = r.weighted(STATUS_MIX, STATUS_WEIGHTS);
    const suppressed = r.chance(0.1);
    const needsEnrichment = r.chance(0.15);
    const sensor = r.pick(deployment.sensors);
    const sources = Array.from({ length: r.int(1, 2) }, () => r.address('10.1'));
    const destination = r.address('10.9');
    const username = r.pick(USERNAMES);
    const generatedEventCount = r.int(1, 5);
    const labels = r.chance(0.1) ? [r.pick(LABEL_IDS)] : [];
    const withObjects = r.chance(0.7);
    const withIso = r.chance(0.85);
    const wrapped = r.chance(0.5);
    const enrichmentSeed = r.next();
    const assetId = r.uuid();

    const uuid = overrides.uuid ?? generatedUuid;
    if (overrides.uuid !== undefined) this.taken.add(uuid);
    const priority =
      overrides.priority ??
      (overrides.priority_label !== undefined ? PRIORITY_OF_LABEL[overrides.priority_label] : generatedPriority);
    const alarmSources = overrides.alarm_sources ?? sources;
    const alarmDestinations = overrides.alarm_destinations ?? [destination];
    const sensors = overrides.alarm_sensor_sources ?? [sensor];
    const user = overrides.source_username ?? username;
    const isSuppressed = overrides.suppressed ?? suppressed;

    const eventCount = overrides.alarm_events_count ?? generatedEventCount;
    const events: EventRecord[] = [];
    for (let k = 0; k < eventCount; k++) {
      const source = alarmSources[k % alarmSources.length]!;
      events.push(
        this.event(deployment, occurred + Math.floor(r.next() * (received - occurred + 1)), received, {
          source,
          destination: alarmDestinations[0]!,
          sensor: sensors[0]!,
          username: r.chance(0.6) ? user : r.chance(0.5) ? null : r.pick(USERNAMES),
          priority,
          suppressed: isSuppressed,
        }),
      );
    }

    const doc: AlarmDocument = {
      uuid,
      has_alarm: false,
      needs_enrichment: overrides.needs_enrichment ?? needsEnrichment,
      priority,
      priority_label: priorityLabelOf(priority),
      suppressed: isSuppressed,
      status: overrides.status ?? status,
      rule_id: overrides.rule_id ?? rule.rule_id,
      rule_dictionary: 'DetectionRules',
      rule_intent: overrides.rule_intent ?? rule.rule_intent,
      rule_method: overrides.rule_method ?? rule.rule_method,
      rule_strategy: overrides.rule_strategy ?? rule.rule_strategy,
      rule_attack_id: overrides.rule_attack_id ?? rule.rule_attack_id,
      rule_attack_tactic: overrides.rule_attack_tactic ?? [...rule.rule_attack_tactic],
      rule_attack_technique: overrides.rule_attack_technique ?? rule.rule_attack_technique,
      alarm_sources: alarmSources,
      alarm_destinations: alarmDestinations,
      alarm_sensor_sources: sensors,
      alarm_events_count: events.length,
      alarm_labels: overrides.alarm_labels ?? labels,
      source_username: user,
      timestamp_occured: String(occurred),
      timestamp_received: String(received),
      packet_type: 'alarm',
      x_att_tenantid: deployment.tenantId,
      highlight_fields: [...HIGHLIGHT_FIELDS],
      events: undefined,
      _links: { self: { href: `${ORIGIN}${deployment.apiBase}/alarms/${uuid}` } },
    };
    if (withObjects) {
      doc.sources = alarmSources.map((address, i) => this.sourceObject(address, i, events, enrichmentSeed, assetId));
      doc.destinations = alarmDestinations.map((address) => ({ address, event_count: events.length }));
    }
    if (withIso) {
      doc.timestamp_occured_iso8601 = new Date(occurred).toISOString();
      doc.timestamp_received_iso8601 = new Date(received).toISOString();
    }
    return { uuid, deployment, occurred, received, doc, events, eventShape: wrapped ? 'wrapped' : 'flat' };
  }

  /**
   * Enrichment of a source address. Derived from one draw (`seed`) rather than fresh
   * ones, so alarms with and without objects consume the same amount of randomness.
   */
  private sourceObject(
    address: string,
    index: number,
    events: EventRecord[],
    seed: number,
    assetId: string,
  ): SourceObject {
    const host = Math.floor(seed * 1000) + index;
    // Field order follows the sample: names first, event_count last.
    return {
      address,
      ...(seed < 0.8 ? { hostname: `host-${host}`, fqdn: `host-${host}.corp.example` } : {}),
      ...(seed < 0.4 && index === 0 ? { asset_id: assetId } : {}),
      ...(seed > 0.3 ? { country: COUNTRIES[host % COUNTRIES.length]! } : {}),
      event_count: Math.max(1, events.filter((e) => e.source_address === address).length),
    };
  }

  private event(
    deployment: DeploymentProfile,
    occurred: number,
    received: number,
    context: {
      source: string;
      destination: string;
      sensor: string;
      username: string | null;
      priority: number;
      suppressed: boolean;
    },
  ): EventRecord {
    const r = this.random;
    return {
      uuid: this.mintId(),
      deployment,
      occurred,
      received,
      event_name: r.pick(EVENT_NAMES),
      plugin: r.pick(EVENT_PLUGINS),
      source_name: context.source,
      source_username: context.username,
      sensor_uuid: context.sensor,
      source_address: context.source,
      destination_address: context.destination,
      account_name: r.pick(ACCOUNT_NAMES),
      has_alarm: true,
      needs_enrichment: false,
      priority: context.priority,
      suppressed: context.suppressed,
    };
  }

  private mintId(): string {
    let id = this.random.uuid();
    while (this.taken.has(id)) id = this.random.uuid();
    this.taken.add(id);
    return id;
  }
}
