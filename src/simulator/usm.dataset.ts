/**
 * All alarms and events the simulator serves, per deployment and merged for Central.
 *
 * Contract: built deterministically from the seed, the deployment names and a base
 * time (the start clock, floored to the minute); each deployment draws from its own
 * seeded stream, so adding a deployment never changes another one's data. Alarms and
 * events are shared objects: Central's indexes hold the very records the deployments
 * hold, so a label written through one is seen through the other. Every event an
 * alarm references is listed under `/events`, next to events that raised no alarm
 * (`has_alarm: false`, one in seven or so), as on a real deployment.
 */
import { AlarmGenerator, type AlarmOverrides } from './alarm.generator.js';
import { invalidate, type AlarmRecord, type DeploymentProfile, type EventRecord } from './alarm.record.js';
import { HttpProblem } from './json.reply.js';
import { SeededRandom, seedFor } from './seeded.random.js';
import { SortedIndex } from './sorted.index.js';

export interface DatasetOptions {
  seed: number;
  deployments: readonly string[];
  alarmsPerDeployment: number;
  /** Epoch ms; generated data lies in the 14 days before it. */
  base: number;
  /** Names of deployments Central shows as disconnected and unauthorized. */
  disconnected: ReadonlySet<string>;
}

/** The records of one Anywhere deployment, or of all of them (Central). */
export interface RecordStore {
  alarms: SortedIndex<AlarmRecord>;
  events: SortedIndex<EventRecord>;
  alarmById: Map<string, AlarmRecord>;
  eventById: Map<string, EventRecord>;
}

interface DeploymentData extends RecordStore {
  profile: DeploymentProfile;
  /** Draws the alarms created through the control API, after the generated ones. */
  creator: AlarmGenerator;
}

/** The alarm with this id in the store, else a 404. */
export function alarmOf(store: RecordStore, id: string): AlarmRecord {
  const alarm = store.alarmById.get(id);
  if (alarm === undefined) throw new HttpProblem(404, `alarm ${id} not found`);
  return alarm;
}

/** The event with this id in the store, else a 404. */
export function eventOf(store: RecordStore, id: string): EventRecord {
  const event = store.eventById.get(id);
  if (event === undefined) throw new HttpProblem(404, `event ${id} not found`);
  return event;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export function baseTimeOf(now: number): number {
  return Math.floor(now / MINUTE_MS) * MINUTE_MS;
}

export class UsmDataset {
  readonly profiles: DeploymentProfile[] = [];
  readonly msspId: string;
  readonly central: RecordStore;
  private readonly byName = new Map<string, DeploymentData>();

  constructor(options: DatasetOptions) {
    const taken = new Set<string>();
    const centralRandom = new SeededRandom(seedFor(options.seed, 'central'));
    this.msspId = centralRandom.uuid();
    const historyStart = Math.floor((options.base - 14 * DAY_MS) / DAY_MS) * DAY_MS;

    const allAlarms: AlarmRecord[] = [];
    const allEvents: EventRecord[] = [];
    options.deployments.forEach((name, index) => {
      const random = new SeededRandom(seedFor(options.seed, name));
      const fqdn = `${name}.alienvault.cloud`;
      const profile: DeploymentProfile = {
        name,
        apiBase: `/${name}/api/2.0`,
        fqdn,
        centralId: `cn://${fqdn}`,
        licenseKey: random.uuid(),
        tenantId: random.uuid(),
        joinedSince: historyStart - index * DAY_MS,
        connected: !options.disconnected.has(name),
        sensors: [random.uuid(), random.uuid()],
      };
      const generator = new AlarmGenerator(random, taken);
      const alarms = Array.from({ length: options.alarmsPerDeployment }, () =>
        generator.historicAlarm(profile, options.base),
      );
      const standalone = Array.from({ length: Math.ceil(options.alarmsPerDeployment / 2) }, () =>
        generator.historicEvent(profile, options.base),
      );
      const events = [...alarms.flatMap((a) => a.events), ...standalone];
      this.profiles.push(profile);
      this.byName.set(name, {
        profile,
        alarms: new SortedIndex(alarms),
        events: new SortedIndex(events),
        alarmById: new Map(alarms.map((a) => [a.uuid, a])),
        eventById: new Map(events.map((e) => [e.uuid, e])),
        creator: new AlarmGenerator(new SeededRandom(seedFor(options.seed, `${name}:created`)), taken),
      });
      allAlarms.push(...alarms);
      allEvents.push(...events);
    });
    this.central = {
      alarms: new SortedIndex(allAlarms),
      events: new SortedIndex(allEvents),
      alarmById: new Map(allAlarms.map((a) => [a.uuid, a])),
      eventById: new Map(allEvents.map((e) => [e.uuid, e])),
    };
  }

  deployment(name: string): (RecordStore & { profile: DeploymentProfile }) | undefined {
    return this.byName.get(name);
  }

  /**
   * Creates alarms that become visible now (`timestamp_received = now`), one per entry
   * of `overrides`. A given `timestamp_occured` may lie in the past (a late arrival).
   */
  createAlarms(name: string, overrides: readonly AlarmOverrides[], now: number): AlarmRecord[] {
    const data = this.byName.get(name);
    if (data === undefined) throw new HttpProblem(404, `unknown deployment '${name}'`);
    const seen = new Set<string>();
    for (const o of overrides) {
      if (o.uuid === undefined) continue;
      if (this.central.alarmById.has(o.uuid) || this.central.eventById.has(o.uuid) || seen.has(o.uuid)) {
        throw new HttpProblem(409, `an alarm or event with uuid ${o.uuid} already exists`);
      }
      seen.add(o.uuid);
    }
    const created = overrides.map((o) => data.creator.alarm(data.profile, o.timestamp_occured ?? now, now, o));
    const events = created.flatMap((a) => a.events);
    for (const store of [data, this.central]) {
      store.alarms.addAll(created);
      store.events.addAll(events);
      for (const alarm of created) store.alarmById.set(alarm.uuid, alarm);
      for (const event of events) store.eventById.set(event.uuid, event);
    }
    return created;
  }

  /** Idempotent: adding a label the alarm has keeps one. */
  addLabel(alarm: AlarmRecord, labelId: string): void {
    if (alarm.doc.alarm_labels.includes(labelId)) return;
    alarm.doc.alarm_labels.push(labelId);
    invalidate(alarm);
  }

  /** Idempotent: removing a label the alarm lacks is a no-op. */
  removeLabel(alarm: AlarmRecord, labelId: string): void {
    const at = alarm.doc.alarm_labels.indexOf(labelId);
    if (at === -1) return;
    alarm.doc.alarm_labels.splice(at, 1);
    invalidate(alarm);
  }
}
