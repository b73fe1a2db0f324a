/** The `AlarmConnection` type and the one function that answers every alarm connection field. */
import { Connection, type ConnectionShape } from '../connection/connection.type.js';
import type { ConnectionArgs } from '../../pagination/connection.args.js';
import { feedConnection } from '../connection/feed.connection.js';
import type { GraphContext } from '../context.js';
import { toAlarm } from './alarm.mapper.js';
import type { AlarmFeedFilter } from '../../loaders/feed.sources.js';
import type { SortField } from '../../upstream/anywhere/anywhere.query.js';
import { alarmFeedFilter, directionOf, sortFieldOf, type AlarmFilter, type AlarmOrder } from './alarm.inputs.js';
import { Alarm } from './alarm.type.js';

export const AlarmConnection = Connection(Alarm, {
  totalCountNote:
    'For a deployment the facade reads through USM Central (no credentials of its own), an upper bound: ' +
    'Central counts the matching alarms of all its deployments together and offers no count per deployment.',
});

export interface AlarmConnectionRequest {
  /** One deployment, or undefined for the merged feed of every readable deployment. */
  deployment: string | undefined;
  args: ConnectionArgs;
  filter: AlarmFilter | null | undefined;
  orderBy: AlarmOrder | null | undefined;
}

/** An alarm feed's arguments checked and normalised: what its cursors (and a live group's key) are bound to. */
export interface AlarmFeedDefinition {
  feed: 'alarms';
  /** A deployment name, or `*` for every readable one. */
  scope: string;
  filter: AlarmFeedFilter;
  sortField: SortField;
  order: 'asc' | 'desc';
}

/** Refuses a contradictory filter with BAD_USER_INPUT before any upstream call. */
export function alarmFeedDefinition(
  deployment: string | undefined,
  filter: AlarmFilter | null | undefined,
  orderBy: AlarmOrder | null | undefined,
): AlarmFeedDefinition {
  return { feed: 'alarms', scope: deployment ?? '*', filter: alarmFeedFilter(filter), sortField: sortFieldOf(orderBy), order: directionOf(orderBy) };
}

export function alarmConnection(ctx: GraphContext, request: AlarmConnectionRequest): Promise<ConnectionShape<Alarm>> {
  const definition = alarmFeedDefinition(request.deployment, request.filter, request.orderBy);
  const { filter, sortField, order } = definition;
  return feedConnection({
    args: request.args,
    definition: { ...definition },
    order,
    sources: () => ctx.loaders.alarmSources(request.deployment, filter, sortField),
    toNode: (item) => toAlarm(item.doc),
  });
}
