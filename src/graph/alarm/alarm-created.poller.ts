/**
 * The poller of `alarmCreated` groups, and the replay of alarms a dashboard missed.
 *
 * Contract:
 * - "New" is by `timestamp_received`: an alarm that occurred long ago but reached USM
 *   now is new. The group's first poll only takes the feed's newest receipt time as
 *   its watermark. Each later poll reads, newest received first, the alarms received
 *   since the watermark less a look-back of one minute (so an alarm that becomes
 *   visible a little after later ones is still caught), and publishes those it has
 *   not seen, oldest received first. One list call per deployment in the usual case;
 *   a burst of more than a page reads on, up to 10 pages, until it meets a seen alarm.
 * - The watermark and the alarms seen inside the look-back are the group's state, so a
 *   replica that takes the group over resumes from them: nothing is missed, and what
 *   the old holder published again is dropped by each replica's `present`, which
 *   delivers every alarm once.
 * - `replayAfter(since)` answers the alarms received after `since` (at most 1,000, the
 *   most recent when more), oldest first, read fresh for the subscriber's key, and how
 *   many it left out.
 */
import type { LivePoller, PollRequest } from '../../live/live.group.js';
import type { AlarmFeedFilter, AlarmFeedItem } from '../../loaders/feed.sources.js';
import type { RequestLoaders } from '../../loaders/request.loaders.js';
import { queryKeyOf } from '../../pagination/cursor.codec.js';
import type { FeedSource } from '../../pagination/feed.paginator.js';
import type { AlarmDocument } from '../../upstream/anywhere/anywhere.schemas.js';
import type { LiveContext } from '../context.js';
import { pollCall } from './alarm-page.poller.js';
import { toAlarm } from './alarm.mapper.js';
import type { Alarm } from './alarm.type.js';

export interface AlarmCreatedState {
  /** The latest receipt time seen (epoch ms), undefined while the feed was empty. */
  watermark: number | undefined;
  /** `deployment:uuid` → receipt time, of the alarms seen inside the look-back. */
  seen: Array<[string, number]>;
}

const LOOKBACK_MS = 60_000;
const PAGE_SIZE = 100;
const MAX_PAGES = 10;
export const MAX_REPLAY = 1000;
const REPLAY_PAGE_SIZE = 500;

const idOf = (item: { deployment: string; id: string }) => `${item.deployment}:${item.id}`;
const receivedAtOf = (doc: AlarmDocument) => doc.timestampReceived ?? doc.timestampOccurred ?? 0;

/** Oldest received first; ties by deployment, then id, as the feeds order them. */
function byReceipt(a: AlarmFeedItem, b: AlarmFeedItem): number {
  return a.key - b.key || (a.deployment < b.deployment ? -1 : a.deployment > b.deployment ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export class AlarmCreatedPoller implements LivePoller<AlarmCreatedState, AlarmDocument[], Alarm> {
  readonly key: string;
  readonly covers: readonly string[];
  readonly retainLatest = false;
  /** What this replica delivered inside the look-back: each alarm goes out once. */
  readonly #delivered = new Map<string, number>();

  constructor(
    private readonly scope: string,
    private readonly filter: AlarmFeedFilter,
    private readonly live: LiveContext,
  ) {
    this.key = queryKeyOf({ live: 'alarmCreated', scope, filter });
    this.covers = [scope];
  }

  async poll(previous: AlarmCreatedState | undefined, request: PollRequest) {
    const loaders = this.live.loadersFor(pollCall(request));
    if (previous === undefined) {
      const newest = await readNewest(loaders, this.scope, this.filter, PAGE_SIZE, 1);
      const watermark = newest.items.length === 0 ? undefined : Math.max(...newest.items.map((item) => item.key));
      return { state: remember({ watermark, seen: [] }, newest.items) };
    }
    const seen = new Map(previous.seen);
    const since = previous.watermark === undefined ? undefined : previous.watermark - LOOKBACK_MS;
    const filter = since === undefined ? this.filter : { ...this.filter, receivedGte: Math.max(this.filter.receivedGte ?? since, since) };
    const sources = await loaders.alarmSources(this.scope === '*' ? undefined : this.scope, filter, 'timestampReceived');
    const fresh: AlarmFeedItem[] = [];
    await Promise.all(
      sources.map(async (source) => {
        for (let page = 0; page < MAX_PAGES; page += 1) {
          const answer = await source.fetch({ order: 'desc', page, size: PAGE_SIZE });
          const unseen = answer.items.filter((item) => !seen.has(idOf(item)));
          fresh.push(...unseen);
          if (!answer.hasMore || unseen.length < answer.items.length) break;
        }
      }),
    );
    const unique = [...new Map(fresh.map((item) => [idOf(item), item])).values()].sort(byReceipt);
    const state = remember(previous, unique);
    return unique.length === 0 ? { state } : { state, publish: unique.map((item) => item.doc) };
  }

  present(docs: AlarmDocument[]): Alarm[] {
    const out: Alarm[] = [];
    let newest = 0;
    for (const doc of docs) {
      const id = `${doc.deployment}:${doc.uuid}`;
      newest = Math.max(newest, receivedAtOf(doc));
      if (this.#delivered.has(id)) continue;
      this.#delivered.set(id, receivedAtOf(doc));
      out.push(toAlarm(doc));
    }
    for (const [id, at] of this.#delivered) if (at < newest - 2 * LOOKBACK_MS) this.#delivered.delete(id);
    return out;
  }
}

/** The state after seeing `items`: the watermark moves up, and only the look-back is remembered. */
function remember(previous: AlarmCreatedState, items: readonly AlarmFeedItem[]): AlarmCreatedState {
  let watermark = previous.watermark;
  for (const item of items) watermark = watermark === undefined ? item.key : Math.max(watermark, item.key);
  const seen = new Map(previous.seen);
  for (const item of items) seen.set(idOf(item), item.key);
  const floor = watermark === undefined ? Number.NEGATIVE_INFINITY : watermark - LOOKBACK_MS;
  return { watermark, seen: [...seen].filter(([, at]) => at >= floor) };
}

/** Up to `pages` pages of the newest received alarms of every source, and their sources' totals. */
async function readNewest(
  loaders: RequestLoaders,
  scope: string,
  filter: AlarmFeedFilter,
  size: number,
  pages: number,
): Promise<{ items: AlarmFeedItem[]; total: number }> {
  const sources: FeedSource<AlarmFeedItem>[] = await loaders.alarmSources(scope === '*' ? undefined : scope, filter, 'timestampReceived');
  const items: AlarmFeedItem[] = [];
  let total = 0;
  await Promise.all(
    sources.map(async (source) => {
      for (let page = 0; page < pages; page += 1) {
        const answer = await source.fetch({ order: 'desc', page, size });
        if (page === 0) total += answer.totalElements;
        items.push(...answer.items);
        if (!answer.hasMore) break;
      }
    }),
  );
  return { items, total };
}

/** The alarms received after `since` (see the contract), oldest first, and how many more there were. */
export async function replayAfter(
  loaders: RequestLoaders,
  scope: string,
  filter: AlarmFeedFilter,
  since: number,
): Promise<{ docs: AlarmDocument[]; omitted: number }> {
  const after = { ...filter, receivedGte: Math.max(filter.receivedGte ?? since + 1, since + 1) };
  const { items, total } = await readNewest(loaders, scope, after, REPLAY_PAGE_SIZE, MAX_REPLAY / REPLAY_PAGE_SIZE);
  const unique = [...new Map(items.map((item) => [idOf(item), item])).values()].sort(byReceipt);
  const kept = unique.slice(Math.max(0, unique.length - MAX_REPLAY));
  return { docs: kept.map((item) => item.doc), omitted: Math.max(0, total - kept.length) };
}
