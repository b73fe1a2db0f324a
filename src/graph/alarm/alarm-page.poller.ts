/**
 * The poller of `alarmPage` groups: the first page of one alarm feed, as a subscriber
 * would read it with `alarms(first: …)`.
 *
 * Contract: a poll reads the feed's first page fresh from the upstream (one list call
 * per deployment it reads, the page cache refreshed on the way) and publishes it
 * whole: the documents in order, whether more follow, and the total. The group
 * publishes it only when its hash changed, so an alarm entering or leaving, or any
 * field of one changing (status, labels, priority, ...), is a new page and nothing else
 * is. `present` maps the page once per change into the connection every subscriber of
 * this replica shares; its cursors are those of `alarms` over the same arguments, so a
 * dashboard can page on from `endCursor` with a query.
 */
import type { LivePoller, PollRequest } from '../../live/live.group.js';
import type { AlarmDocument } from '../../upstream/anywhere/anywhere.schemas.js';
import type { UpstreamCall } from '../../upstream/upstream.call.js';
import { queryKeyOf } from '../../pagination/cursor.codec.js';
import { sliceFeed } from '../../pagination/feed.paginator.js';
import type { ConnectionShape } from '../connection/connection.type.js';
import { sliceConnection } from '../connection/feed.connection.js';
import type { LiveContext } from '../context.js';
import type { AlarmFeedDefinition } from './alarm.connection.js';
import { toAlarm } from './alarm.mapper.js';
import type { Alarm } from './alarm.type.js';

export interface AlarmPageSnapshot {
  items: Array<{ key: number; doc: AlarmDocument }>;
  hasNextPage: boolean;
  totalCount: number;
}

/** The caller of the facade's own live polls, in the usage ledger and the fair queue. */
export const LIVE_CALLER = 'facade:live';

/** A newcomer's poll is its key's interactive request; the rest are the facade's live work. */
export function pollCall(request: PollRequest): UpstreamCall {
  return request.requestedBy === undefined
    ? { caller: LIVE_CALLER, workClass: 'LIVE', deadline: request.deadline }
    : { caller: request.requestedBy, workClass: 'INTERACTIVE', deadline: request.deadline };
}

export class AlarmPagePoller implements LivePoller<null, AlarmPageSnapshot, ConnectionShape<Alarm>> {
  readonly key: string;
  readonly covers: readonly string[];
  readonly retainLatest = true;

  constructor(
    private readonly definition: AlarmFeedDefinition,
    private readonly first: number,
    private readonly live: LiveContext,
  ) {
    this.key = queryKeyOf({ live: 'alarmPage', definition, first });
    this.covers = [definition.scope];
  }

  async poll(_previous: null | undefined, request: PollRequest) {
    const { scope, filter, sortField, order } = this.definition;
    const loaders = this.live.loadersFor(pollCall(request));
    const sources = await loaders.alarmSources(scope === '*' ? undefined : scope, filter, sortField);
    const slice = await sliceFeed({ sources, order, args: { direction: 'forward', count: this.first }, cursor: undefined });
    const totalCount = (slice.sourceTotals ?? []).reduce((sum, total) => sum + total.totalElements, 0);
    const publish: AlarmPageSnapshot = {
      items: slice.items.map((item) => ({ key: item.key, doc: item.doc })),
      hasNextPage: slice.hasNextPage,
      totalCount,
    };
    return { state: null, publish };
  }

  present(snapshot: AlarmPageSnapshot): ConnectionShape<Alarm>[] {
    const items = snapshot.items.map(({ key, doc }) => ({ key, deployment: doc.deployment, id: doc.uuid, doc }));
    return [sliceConnection({ items, hasNextPage: snapshot.hasNextPage }, { ...this.definition }, snapshot.totalCount, (item) => toAlarm(item.doc))];
  }
}
