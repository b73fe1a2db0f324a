/**
 * Live alarm subscriptions: `alarmPage` (a page, again each time it changes) and
 * `alarmCreated` (each new alarm once), both served by live groups (`src/live/`) that
 * poll once for every subscriber with the same arguments.
 *
 * Contract: arguments are checked as `alarms` checks them (BAD_USER_INPUT, NOT_FOUND for
 * an unknown deployment) before the subscription starts. A poll that fails because the
 * upstream is out reaches subscribers as one error (its code in `extensions.code`) per
 * outage, and the subscription goes on. A subscriber that reads too slowly keeps only
 * the latest page (`alarmPage`), or is ended with LIMIT_EXCEEDED once 1,000 new alarms
 * wait for it (`alarmCreated`), so it can resubscribe with `since`.
 */
import { Arg, Ctx, Int, Resolver, Root, Subscription } from 'type-graphql';
import { FacadeError } from '../../errors/facade.error.js';
import { LiveEvent } from '../../live/live.group.js';
import { afterReplay, SubscriptionQueue, type TopicSubscription } from '../../live/subscription.queue.js';
import { normaliseConnectionArgs } from '../../pagination/connection.args.js';
import type { ConnectionShape } from '../connection/connection.type.js';
import type { GraphContext } from '../context.js';
import { DateTime } from '../scalar/date-time.scalar.js';
import { AlarmCreatedPoller, MAX_REPLAY, replayAfter } from './alarm-created.poller.js';
import { AlarmPagePoller } from './alarm-page.poller.js';
import { AlarmConnection, alarmFeedDefinition, type AlarmFeedDefinition } from './alarm.connection.js';
import { AlarmFilter, AlarmOrder } from './alarm.inputs.js';
import { toAlarm } from './alarm.mapper.js';
import { Alarm } from './alarm.type.js';

/** New alarms one `alarmCreated` subscriber may have waiting before it is ended. */
export const MAX_PENDING_ALARMS = 1000;

interface AlarmPageArgs {
  deployment?: string | null;
  first?: number | null;
  filter?: AlarmFilter | null;
  orderBy?: AlarmOrder | null;
}

interface AlarmCreatedArgs {
  deployment?: string | null;
  filter?: AlarmFilter | null;
  since?: Date | null;
}

/** The value of a live event, or its outage as the GraphQL error of this payload. */
function valueOf<V>(event: LiveEvent<V>): V {
  if (event.error !== undefined) throw event.error;
  return event.value as V;
}

/** A queue whose cleanup can be bound after the group is joined (join needs the queue's `push`). */
function memberQueue<V>(maxBuffered: number, lastWords?: () => LiveEvent<V>) {
  let leave: () => void = () => undefined;
  const queue = new SubscriptionQueue<LiveEvent<V>>(() => leave(), maxBuffered, undefined, lastWords);
  return {
    queue,
    member: { deliver: (event: LiveEvent<V>) => queue.push(event) },
    bind(leaver: () => void) {
      leave = leaver;
    },
  };
}

/**
 * Refuses an unknown deployment now, as `alarms` does, without reading a page, through
 * loaders of its own: the subscription's context may live for hours and need none.
 */
async function checkScope(ctx: GraphContext, deployment: string | null | undefined, definition: AlarmFeedDefinition): Promise<void> {
  const loaders = ctx.live.loadersFor({ caller: ctx.apiKey.id, workClass: 'INTERACTIVE', deadline: Date.now() + ctx.live.requestDeadlineMs });
  await loaders.alarmSources(deployment ?? undefined, definition.filter, definition.sortField);
}

async function alarmPageStream(ctx: GraphContext, args: AlarmPageArgs): Promise<TopicSubscription<LiveEvent<ConnectionShape<Alarm>>>> {
  const { count } = normaliseConnectionArgs({ first: args.first });
  const definition = alarmFeedDefinition(args.deployment ?? undefined, args.filter, args.orderBy);
  await checkScope(ctx, args.deployment, definition);
  const poller = new AlarmPagePoller(definition, count, ctx.live);
  // Only the latest page matters to a screen: one that reads slowly skips pages, never piles them up.
  const { queue, member, bind } = memberQueue<ConnectionShape<Alarm>>(1);
  bind(await ctx.live.hub.join(poller, member, ctx.apiKey.id));
  return queue;
}

async function alarmCreatedStream(ctx: GraphContext, args: AlarmCreatedArgs): Promise<TopicSubscription<LiveEvent<Alarm>>> {
  const definition = alarmFeedDefinition(args.deployment ?? undefined, args.filter, null);
  await checkScope(ctx, args.deployment, definition);
  const poller = new AlarmCreatedPoller(definition.scope, definition.filter, ctx.live);
  const { queue, member, bind } = memberQueue<Alarm>(MAX_PENDING_ALARMS, () => {
    const error = new FacadeError(
      'LIMIT_EXCEEDED',
      `${MAX_PENDING_ALARMS} new alarms were waiting for this subscriber, which reads more slowly than they arrive; ` +
        'subscribe again with `since` set to the `receivedAt` of the last alarm received to catch up',
      { details: { limit: 'alarmCreated pending alarms', max: MAX_PENDING_ALARMS } },
    );
    return new LiveEvent<Alarm>(undefined, error, Date.now());
  });
  bind(await ctx.live.hub.join(poller, member, ctx.apiKey.id));
  if (args.since == null) return queue;

  // Joined first, replayed second: an alarm the group finds meanwhile is in one or both, and sent once.
  const since = args.since.getTime();
  let replay;
  try {
    const loaders = ctx.live.loadersFor({ caller: ctx.apiKey.id, workClass: 'INTERACTIVE', deadline: Date.now() + ctx.live.requestDeadlineMs });
    replay = await replayAfter(loaders, definition.scope, definition.filter, since);
  } catch (error) {
    await queue.return();
    throw error;
  }
  if (replay.omitted > 0) {
    ctx.logger.info({ omitted: replay.omitted, max: MAX_REPLAY }, 'alarmCreated: more alarms since `since` than a replay holds; sent the latest');
  }
  const replayed = new Set(replay.docs.map((doc) => `${doc.deployment}:${doc.uuid}`));
  const events = replay.docs.map((doc) => new LiveEvent<Alarm>(toAlarm(doc), undefined, Date.now()));
  return afterReplay(events, queue, (event) => {
    const alarm = event.value;
    if (alarm === undefined) return true;
    if (replayed.has(`${alarm.deploymentName}:${alarm.uuid}`)) return false;
    const receivedAt = alarm.receivedAt?.getTime() ?? alarm.occurredAt?.getTime() ?? 0;
    return receivedAt > since;
  });
}

@Resolver()
export class AlarmLiveResolver {
  @Subscription(() => AlarmConnection, {
    description:
      'The first page of `alarms` with these arguments at once, then again each time it changes: an alarm enters or ' +
      'leaves it, or a field of one changes (status, labels, priority, ...); never when nothing did. Every subscriber ' +
      'with the same arguments shares one poll (every `LIVE_POLL_INTERVAL_MS`). While the upstream is out, one error ' +
      'payload (`extensions.code`), then the page again when it is back. A slow reader gets the latest page only.',
    subscribe: ({ args, context }) => alarmPageStream(context as GraphContext, args as AlarmPageArgs),
  })
  alarmPage(
    @Root() event: LiveEvent<ConnectionShape<Alarm>>,
    @Arg('deployment', () => String, { nullable: true, description: 'A deployment name; omit for all.' }) _deployment: string | null,
    @Arg('first', () => Int, { nullable: true, description: 'Page size, 0–100 (default 20).' }) _first: number | null,
    @Arg('filter', () => AlarmFilter, { nullable: true }) _filter: AlarmFilter | null,
    @Arg('orderBy', () => AlarmOrder, { nullable: true }) _orderBy: AlarmOrder | null,
  ): ConnectionShape<Alarm> {
    return valueOf(event);
  }

  @Subscription(() => Alarm, {
    description:
      'Each new alarm matching the filter, once, oldest received first. New means newly received (`receivedAt`), so an ' +
      'alarm that occurred long ago but arrived late is delivered. With `since`, the alarms received after it are sent ' +
      'first (at most 1,000, the latest), then live ones, none twice: a dashboard that reconnects passes the ' +
      '`receivedAt` of the last alarm it saw. Ended with LIMIT_EXCEEDED when 1,000 alarms wait for a slow reader.',
    subscribe: ({ args, context }) => alarmCreatedStream(context as GraphContext, args as AlarmCreatedArgs),
  })
  alarmCreated(
    @Root() event: LiveEvent<Alarm>,
    @Arg('deployment', () => String, { nullable: true, description: 'A deployment name; omit for all.' }) _deployment: string | null,
    @Arg('filter', () => AlarmFilter, { nullable: true }) _filter: AlarmFilter | null,
    @Arg('since', () => DateTime, { nullable: true, description: 'Replay the alarms received after this time first.' })
    _since: Date | null,
  ): Alarm {
    return valueOf(event);
  }
}
