/**
 * The USM Anywhere 2.0 resources of one deployment (after auth and quota).
 *
 * Contract: alarms and events as HAL pages and single documents, and the only writes
 * the API has, alarm labels (idempotent PUT/DELETE). An id that names nothing is a
 * 404 whether or not it looks like a UUID: ids are opaque to clients, and "no such
 * alarm" is the truthful answer for both. Label writes answer 200 with no body: the
 * spec documents no content for them, and a client that parsed one here would break
 * against the real API. Any label id is accepted (the spec's 404 for an unknown
 * label cannot be played: no catalogue of labels is published).
 */
import { alarmBytes, eventBytes, type DeploymentProfile } from './alarm.record.js';
import { ALARM_FILTERS, EVENT_FILTERS, listCollection } from './collection.listing.js';
import { HttpProblem, jsonReply, rawJsonReply } from './json.reply.js';
import { RouteTable, type RouteHandler, type RouteRequest } from './route.table.js';
import { alarmOf, eventOf, type UsmDataset } from './usm.dataset.js';

const LABEL_ID = /^[^\u0000-\u001f\u007f]{1,128}$/;

function labelIdOf(request: RouteRequest): string {
  const labelId = request.params.labelId!;
  if (!LABEL_ID.test(labelId)) {
    throw new HttpProblem(400, 'labelId must be 1 to 128 characters without control characters');
  }
  return labelId;
}

export function anywhereRoutes(dataset: UsmDataset, profile: DeploymentProfile): RouteTable<RouteHandler> {
  const store = dataset.deployment(profile.name)!;
  return new RouteTable<RouteHandler>()
    .add('GET', '/alarms', (request) =>
      listCollection(request, store.alarms, ALARM_FILTERS, `${profile.apiBase}/alarms`, 'alarms', alarmBytes),
    )
    .add('GET', '/alarms/{id}', (request) =>
      rawJsonReply(200, alarmBytes(alarmOf(store, request.params.id!), request.origin)),
    )
    .add('GET', '/alarms/{id}/labels', (request) =>
      jsonReply(200, { alarm_labels: alarmOf(store, request.params.id!).doc.alarm_labels }),
    )
    .add('PUT', '/alarms/{id}/labels/{labelId}', (request) => {
      dataset.addLabel(alarmOf(store, request.params.id!), labelIdOf(request));
      return { status: 200 };
    })
    .add('DELETE', '/alarms/{id}/labels/{labelId}', (request) => {
      dataset.removeLabel(alarmOf(store, request.params.id!), labelIdOf(request));
      return { status: 200 };
    })
    .add('GET', '/events', (request) =>
      listCollection(request, store.events, EVENT_FILTERS, `${profile.apiBase}/events`, 'eventResources', eventBytes),
    )
    .add('GET', '/events/{id}', (request) =>
      rawJsonReply(200, eventBytes(eventOf(store, request.params.id!), request.origin)),
    );
}
