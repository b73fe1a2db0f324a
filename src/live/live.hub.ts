/**
 * The live groups of this process, by key: where a subscription joins the one group
 * that polls what it asked for.
 *
 * Contract:
 * - `join(poller, member, requestedBy)` adds `member` to the group of `poller.key`,
 *   starting the group (and its first poll, on behalf of `requestedBy`) when it is the
 *   first; it resolves once the group listens for changes, and answers the function
 *   that takes the member out again. The last member out stops the group: its timers
 *   end and its lease goes to another replica that still has subscribers.
 * - A new group past `maxGroups` is refused with `LIMIT_EXCEEDED` before anything
 *   starts; joining a running group is never refused here (per-key and per-connection
 *   limits are the server's).
 * - `nudge(deployment)` tells the groups that read it that it changed (a label write):
 *   those this replica polls poll soon.
 * - `close()` stops every group; later joins are refused.
 */
import type { Keyv } from 'keyv';
import { FacadeError } from '../errors/facade.error.js';
import type { Logger } from '../log/logger.js';
import { systemClock, type Clock } from '../time/clock.js';
import { LiveGroup, type LiveMember, type LivePoller, type LivePollStats } from './live.group.js';
import { LIVE_CONFIG_DEFAULTS } from './live.settings.js';
import type { PollLease } from './poll.lease.js';
import type { PubSub } from './pubsub.js';

export interface LiveHubOptions {
  pubsub: PubSub;
  leases: PollLease;
  /** Where groups share their turns and latest data (the backplane's `live` store). */
  states: Keyv<unknown>;
  /** `LIVE_POLL_INTERVAL_MS`: how often each group is polled. Default that setting's (`live.settings.ts`). */
  intervalMs?: number;
  /** `LIVE_MAX_GROUPS`: most distinct live queries this process polls or follows. Default that setting's. */
  maxGroups?: number;
  /** What groups poll on. Default `systemClock`. */
  clock?: Clock;
  /** The jitter's source; default `Math.random`. */
  random?: () => number;
  logger?: Logger;
}

export class LiveHub {
  readonly intervalMs: number;
  readonly #maxGroups: number;
  readonly #groups = new Map<string, LiveGroup<unknown, unknown, unknown>>();
  readonly #settings: ConstructorParameters<typeof LiveGroup>[1];
  readonly #pollStats: LivePollStats = { ok: 0, failed: 0, skipped: 0 };
  #closed = false;

  constructor(options: LiveHubOptions) {
    this.intervalMs = options.intervalMs ?? LIVE_CONFIG_DEFAULTS.pollIntervalMs;
    this.#maxGroups = options.maxGroups ?? LIVE_CONFIG_DEFAULTS.maxGroups;
    this.#settings = {
      intervalMs: this.intervalMs,
      pubsub: options.pubsub,
      leases: options.leases,
      states: options.states,
      clock: options.clock ?? systemClock,
      random: options.random ?? Math.random,
      logger: options.logger,
      stats: this.#pollStats,
    };
  }

  /** Groups running in this process. */
  get groupCount(): number {
    return this.#groups.size;
  }

  /** Polls this process's groups made as holders since start, by outcome (a copy). */
  get pollStats(): LivePollStats {
    return { ...this.#pollStats };
  }

  /** Members of every group in this process. */
  get memberCount(): number {
    let count = 0;
    for (const group of this.#groups.values()) count += group.members.size;
    return count;
  }

  async join<S, D, V>(poller: LivePoller<S, D, V>, member: LiveMember<V>, requestedBy: string): Promise<() => void> {
    if (this.#closed) throw new FacadeError('UPSTREAM_UNAVAILABLE', 'The facade is shutting down; subscribe again in a moment');
    const known = this.#groups.get(poller.key) as LiveGroup<S, D, V> | undefined;
    if (known !== undefined) {
      known.add(member);
      return this.#leaver(known, member);
    }
    if (this.#groups.size >= this.#maxGroups) {
      throw new FacadeError(
        'LIMIT_EXCEEDED',
        `this replica already runs ${this.#maxGroups} distinct live queries (LIVE_MAX_GROUPS); ` +
          'subscribe with the arguments of one that runs (same deployment, filter, order and size) or try again later',
        { details: { limit: 'LIVE_MAX_GROUPS', max: this.#maxGroups } },
      );
    }
    const group = new LiveGroup<S, D, V>(poller, this.#settings);
    this.#groups.set(poller.key, group as LiveGroup<unknown, unknown, unknown>);
    group.add(member);
    try {
      await group.start(requestedBy);
    } catch (error) {
      if (this.#groups.get(poller.key) === (group as LiveGroup<unknown, unknown, unknown>)) this.#groups.delete(poller.key);
      await group.stop();
      throw error;
    }
    return this.#leaver(group, member);
  }

  nudge(deployment: string): void {
    for (const group of this.#groups.values()) {
      if (group.covers.includes('*') || group.covers.includes(deployment)) group.nudge();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const groups = [...this.#groups.values()];
    this.#groups.clear();
    await Promise.all(groups.map((group) => group.stop()));
  }

  #leaver<V>(group: LiveGroup<unknown, unknown, V>, member: LiveMember<V>): () => void {
    let left = false;
    return () => {
      if (left) return;
      left = true;
      group.members.delete(member);
      if (group.members.size > 0) return;
      if (this.#groups.get(group.key) === (group as LiveGroup<unknown, unknown, unknown>)) this.#groups.delete(group.key);
      void group.stop();
    };
  }
}
