/** The `AlarmConnection` type and the one function that answers every alarm connection field. */
import { Connection, type ConnectionShape } from '../connection/connection.type.js';
import type { ConnectionArgs } from '../connection/connection.args.js';
import { feedConnection } from '../connection/feed.connection.js';
import type { GraphContext } from '../context.js';
import { toAlarm } from './alarm.mapper.js';
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

export function alarmConnection(ctx: GraphContext, request: AlarmConnectionRequest): Promise<ConnectionShape<Alarm>> {
  const filter = alarmFeedFilter(request.filter);
  const sortField = sortFieldOf(request.orderBy);
  const order = directionOf(request.orderBy);
  return feedConnection({
    args: request.args,
    definition: { feed: 'alarms', scope: request.deployment ?? '*', filter, sortField, order },
    order,
    sources: () => ctx.loaders.alarmSources(request.deployment, filter, sortField),
    toNode: (item) => toAlarm(item.doc),
  });
}
