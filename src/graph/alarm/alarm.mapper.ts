/**
 * From the upstream's normalised documents to the schema's objects.
 *
 * Contract: the same document gives the same `Alarm`/`Event` whichever endpoint it came
 * from (an Anywhere page or detail, USM Central); values the schema cannot represent
 * (an unknown status, say) become null rather than errors, and `raw` keeps them. The
 * same document object gives the same object every time (kept weakly by the document):
 * an unchanged document in a polled page is mapped once. Nobody may mutate either.
 */
import type { AlarmDocument, AlarmEndpoint as EndpointDocument, EventDocument } from '../../upstream/anywhere/anywhere.schemas.js';
import { encodeGlobalId } from '../node/global.id.js';
import { Event } from '../event/event.type.js';
import { Alarm, AlarmEndpoint, AlarmPriority, AlarmStatus } from './alarm.type.js';

const STATUSES = new Set<string>(Object.values(AlarmStatus));
const PRIORITIES = new Set<string>(Object.values(AlarmPriority));

const dateOf = (epochMs: number | undefined): Date | null => (epochMs === undefined ? null : new Date(epochMs));

function toEndpoint(doc: EndpointDocument): AlarmEndpoint {
  return Object.assign(new AlarmEndpoint(), {
    address: doc.address ?? null,
    hostname: doc.hostname ?? null,
    fqdn: doc.fqdn ?? null,
    name: doc.name ?? null,
    assetId: doc.assetId ?? null,
    country: doc.country ?? null,
    organisation: doc.organisation ?? null,
    eventCount: doc.eventCount ?? null,
  });
}

/** `map`, answering the same object again for the same document (kept weakly by it). */
function oncePerDocument<D extends object, T>(map: (doc: D) => T): (doc: D) => T {
  const mapped = new WeakMap<D, T>();
  return (doc) => {
    let result = mapped.get(doc);
    if (result === undefined) {
      result = map(doc);
      mapped.set(doc, result);
    }
    return result;
  };
}

export const toAlarm = oncePerDocument(mapAlarm);
export const toEvent = oncePerDocument(mapEvent);

function mapAlarm(doc: AlarmDocument): Alarm {
  const status = doc.status?.toLowerCase();
  const priorityLabel = doc.priorityLabel?.toLowerCase();
  return Object.assign(new Alarm(), {
    id: encodeGlobalId('Alarm', doc.deployment, doc.uuid),
    uuid: doc.uuid,
    deploymentName: doc.deployment,
    document: doc,
    status: status !== undefined && STATUSES.has(status) ? (status as AlarmStatus) : null,
    priority: doc.priority ?? null,
    priorityLabel: priorityLabel !== undefined && PRIORITIES.has(priorityLabel) ? (priorityLabel as AlarmPriority) : null,
    suppressed: doc.suppressed ?? null,
    ruleId: doc.ruleId ?? null,
    ruleIntent: doc.ruleIntent ?? null,
    ruleMethod: doc.ruleMethod ?? null,
    ruleStrategy: doc.ruleStrategy ?? null,
    ruleAttackTactic: doc.ruleAttackTactic,
    ruleAttackTechnique: doc.ruleAttackTechnique ?? null,
    occurredAt: dateOf(doc.timestampOccurred),
    receivedAt: dateOf(doc.timestampReceived),
    sources: doc.sources.map(toEndpoint),
    destinations: doc.destinations.map(toEndpoint),
    sensorSources: doc.sensorSources,
    labelIds: doc.labels,
    eventsCount: doc.eventsCount ?? doc.events.length,
    raw: doc.raw,
  });
}

function mapEvent(doc: EventDocument): Event {
  return Object.assign(new Event(), {
    id: encodeGlobalId('Event', doc.deployment, doc.uuid),
    uuid: doc.uuid,
    deploymentName: doc.deployment,
    name: doc.eventName ?? null,
    occurredAt: dateOf(doc.timestampOccurred),
    receivedAt: dateOf(doc.timestampReceived),
    plugin: doc.plugin ?? null,
    sourceName: doc.sourceName ?? null,
    sourceUsername: doc.sourceUsername ?? null,
    sensorUuid: doc.sensorUuid ?? null,
    raw: doc.raw,
  });
}
