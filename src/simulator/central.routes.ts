/**
 * The USM Central 1.1 resources (after auth and quota).
 *
 * Contract: `/deployments` is a plain JSON array (no HAL wrapper), one entry per
 * simulated Anywhere deployment (samples/central-deployments.json). Alarms and events
 * are those of every deployment merged, with Anywhere's filters, sorts and paging;
 * alarms come in Central's wrapper (samples/central-alarm.json) around the very record
 * the deployment serves, so both views agree, labels included. Central has no label
 * endpoints: labels are written through a deployment.
 */
import { centralAlarmBytes, eventBytes, type AlarmRecord } from './alarm.record.js';
import { ALARM_FILTERS, EVENT_FILTERS, listCollection } from './collection.listing.js';
import { rawJsonReply } from './json.reply.js';
import { RouteTable, type RouteHandler } from './route.table.js';
import { alarmOf, eventOf, type UsmDataset } from './usm.dataset.js';

export const CENTRAL = 'central';
export const CENTRAL_API_BASE = '/central/api/1.1';

export function centralRoutes(dataset: UsmDataset): RouteTable<RouteHandler> {
  const store = dataset.central;
  const render = (alarm: AlarmRecord, origin: string) => centralAlarmBytes(alarm, origin, dataset.msspId);
  const deployments = JSON.stringify(
    dataset.profiles.map((p) => ({
      id: p.centralId,
      licenseKey: p.licenseKey,
      fqdn: p.fqdn,
      name: p.name,
      displayName: p.name.toUpperCase(),
      type: 'USM Anywhere',
      joinedSince: p.joinedSince,
      connectionStatus: p.connected ? 'connected' : 'disconnected',
      authorized: p.connected,
    })),
  );
  return new RouteTable<RouteHandler>()
    .add('GET', '/deployments', () => rawJsonReply(200, deployments))
    .add('GET', '/alarms', (request) =>
      listCollection(request, store.alarms, ALARM_FILTERS, `${CENTRAL_API_BASE}/alarms`, 'alarms', render),
    )
    .add('GET', '/alarms/{id}', (request) =>
      rawJsonReply(200, render(alarmOf(store, request.params.id!), request.origin)),
    )
    .add('GET', '/events', (request) =>
      listCollection(request, store.events, EVENT_FILTERS, `${CENTRAL_API_BASE}/events`, 'eventResources', eventBytes),
    )
    .add('GET', '/events/{id}', (request) =>
      rawJsonReply(200, eventBytes(eventOf(store, request.params.id!), request.origin)),
    );
}
