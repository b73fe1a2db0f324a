/** The `EventConnection` type and the function that answers event connection fields over `/events`. */
import { Connection, type ConnectionShape } from '../connection/connection.type.js';
import type { ConnectionArgs } from '../../pagination/connection.args.js';
import { feedConnection } from '../connection/feed.connection.js';
import type { GraphContext } from '../context.js';
import { toEvent } from '../alarm/alarm.mapper.js';
import { eventFeedFilter, type EventFilter } from './event.inputs.js';
import { Event } from './event.type.js';

export const EventConnection = Connection(Event);

export interface EventConnectionRequest {
  deployment: string | undefined;
  args: ConnectionArgs;
  filter: EventFilter | null | undefined;
}

/** Events newest first, the order USM shows them in. */
export function eventConnection(ctx: GraphContext, request: EventConnectionRequest): Promise<ConnectionShape<Event>> {
  const filter = eventFeedFilter(request.filter);
  return feedConnection({
    args: request.args,
    definition: { feed: 'events', scope: request.deployment ?? '*', filter },
    order: 'desc',
    sources: () => ctx.loaders.eventSources(request.deployment, filter),
    toNode: (item) => toEvent(item.doc),
  });
}
