/**
 * One live group: the subscribers in this process that asked for the same thing (equal
 * `LivePoller.key`, e.g. one alarm page), and the one poll they share with every
 * replica's subscribers of that key.
 *
 * Contract:
 * - One replica at a time polls a group: the holder of its lease (`poll.lease.ts`,
 *   renewed at each turn, TTL 1.4 intervals). The others try to take it every half
 *   interval, so when the holder stops (it releases the lease) or dies (the lease runs
 *   out), another replica with subscribers polls within two intervals. A replica that
 *   takes over adopts the holder's last turn (the poller's state, the hash of the last
 *   data published, whether the upstream was failing) when it is at most three
 *   intervals old, so an `alarmCreated` group resumes from the same watermark.
 * - The holder polls once per interval plus up to 10% jitter (so groups started
 *   together drift apart), never two polls at once, and publishes on the group's
 *   channel (`Topic.LiveGroup`) only data whose hash differs from the last published:
 *   an unchanged page costs one upstream read and nothing else. Every replica,
 *   the holder included, delivers what arrives on the channel, once per message:
 *   `present` runs once, and every local member receives the same `LiveEvent`s.
 * - A poll the budget refused (`UPSTREAM_RATE_LIMITED`) is skipped and the interval
 *   doubles, up to 4 intervals, until a poll succeeds; subscribers hear nothing of it.
 *   Any other failure is an outage: subscribers get one error event when it begins,
 *   and the data again (changed or not) when a poll succeeds.
 * - A newcomer gets the current data at once when the group has it: from this
 *   replica's last delivery, else from the shared store (`retainLatest` pollers), else
 *   from a poll run for it alone, on behalf of its key. A new group's first poll runs
 *   at once, on behalf of the key that is waiting for it.
 * - Without Redis every part is in-process and the same rules hold. When Redis fails
 *   mid-way, a replica that cannot ask for the lease polls anyway and delivers its own
 *   data, so subscribers keep getting pages at the cost of duplicate polls.
 * - `stop()` ends the timers, releases the lease and unsubscribes; members are the
 *   hub's to end.
 */
import { createHash } from 'node:crypto';
import type { Keyv } from 'keyv';
import { FacadeError, type ErrorCode } from '../errors/facade.error.js';
import type { Logger } from '../log/logger.js';
import type { Cancel, Clock } from '../time/clock.js';
import type { PollLease } from './poll.lease.js';
import { Topic, type LiveGroupPayload, type PubSub } from './pubsub.js';
import type { TopicSubscription } from './subscription.queue.js';

export interface PollRequest {
  /** On whose behalf: the API key a newcomer waits with (the group's first poll), else undefined (the facade's live work). */
  requestedBy: string | undefined;
  /** Epoch ms by which the poll must be done: its group's next turn. */
  deadline: number;
}

export interface PollResult<State, Data> {
  /** Kept for the next poll, and shared with a replica that takes over. Must survive JSON. */
  state: State;
  /** What subscribers hear of this poll, if anything; published only when it differs from the last. Must survive JSON. */
  publish?: Data;
}

/** What one kind of live query polls, and what its subscribers receive. One instance per group per replica. */
export interface LivePoller<State, Data, Value> {
  /** Equal keys share one group, one poll and one channel on every replica. */
  readonly key: string;
  /** The deployments a poll reads (`*` for every one): a write to one of them makes the group poll soon. */
  readonly covers: readonly string[];
  /** Whether newcomers get the last published data at once (an alarm page) rather than only what comes next. */
  readonly retainLatest: boolean;
  poll(previous: State | undefined, request: PollRequest): Promise<PollResult<State, Data>>;
  /** From published data to what members receive; runs once per message on each replica and may keep state (what it delivered). */
  present(data: Data): Value[];
}

/** What a member receives: a value, or the error of an outage. The same object goes to every member. */
export class LiveEvent<V> {
  constructor(
    readonly value: V | undefined,
    readonly error: FacadeError | undefined,
    /** Epoch ms when the poll behind it was answered. */
    readonly polledAt: number,
  ) {}
}

export interface LiveMember<V> {
  deliver(event: LiveEvent<V>): void;
}

/** Polls this process made as a holder since start, by outcome; shared by a hub's groups. */
export interface LivePollStats {
  /** Polls answered. */
  ok: number;
  /** Polls that failed (an outage, a bug). */
  failed: number;
  /** Rounds skipped because the budget was short (UPSTREAM_RATE_LIMITED). */
  skipped: number;
}

export interface LiveGroupSettings {
  intervalMs: number;
  /** Counted into when this group polls as the holder. Default: a count of its own. */
  stats?: LivePollStats;
  pubsub: PubSub;
  leases: PollLease;
  /** Turns and latest data, shared by the replicas (namespace `live`). */
  states: Keyv<unknown>;
  clock: Clock;
  random: () => number;
  logger?: Logger;
}

interface Turn<S> {
  state: S | undefined;
  hash: string | undefined;
  failing: boolean;
}

interface Latest<D> {
  data: D;
  hash: string;
  polledAt: number;
}

const LEASE_TTL_INTERVALS = 1.4;
const TURN_TTL_INTERVALS = 3;
const LATEST_TTL_MS = 10 * 60_000;
const MAX_STRETCH = 4;
const JITTER = 0.1;

const hashOf = (json: string) => createHash('sha1').update(json).digest('base64url');

export class LiveGroup<S, D, V> {
  readonly members = new Set<LiveMember<V>>();
  readonly #poller: LivePoller<S, D, V>;
  readonly #settings: LiveGroupSettings;
  readonly #stats: LivePollStats;
  #channel: TopicSubscription<LiveGroupPayload> | undefined;
  #turnState: Turn<S> = { state: undefined, hash: undefined, failing: false };
  /** The hash of the data this replica last delivered, and the events it made: for newcomers. */
  #deliveredHash: string | undefined;
  #latest: LiveEvent<V>[] = [];
  #holding = false;
  #polling: Promise<void> | undefined;
  #cancelTurn: Cancel | undefined;
  #stretch = 1;
  #nextPollAt = 0;
  #lastNudgeAt = Number.NEGATIVE_INFINITY;
  #stopped = false;

  constructor(poller: LivePoller<S, D, V>, settings: LiveGroupSettings) {
    this.#poller = poller;
    this.#settings = settings;
    this.#stats = settings.stats ?? { ok: 0, failed: 0, skipped: 0 };
  }

  get key(): string {
    return this.#poller.key;
  }

  get covers(): readonly string[] {
    return this.#poller.covers;
  }

  /** Listens on the group's channel (rejects when Redis refuses), then starts polling or following. */
  async start(requestedBy: string): Promise<void> {
    const channel = this.#settings.pubsub.subscribe(Topic.LiveGroup, this.key);
    this.#channel = channel;
    await channel.ready;
    void this.#listen(channel);
    void this.#firstTurn(requestedBy);
  }

  /** Adds a member; it gets the current data at once when this replica has it. */
  add(member: LiveMember<V>): void {
    this.members.add(member);
    for (const event of this.#latest) member.deliver(event);
  }

  /** After a write to a deployment this group reads: the holder polls now (at most five times an interval). */
  nudge(): void {
    const now = this.#settings.clock.now();
    if (!this.#holding || this.#polling !== undefined || this.#stopped) return;
    if (now - this.#lastNudgeAt < this.#settings.intervalMs / 5) return;
    this.#lastNudgeAt = now;
    void this.#poll(undefined);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelTurn?.();
    this.#cancelTurn = undefined;
    await this.#polling?.catch(() => undefined);
    await this.#channel?.return();
    if (this.#holding) await this.#settings.leases.release(this.key).catch(() => undefined);
    this.#holding = false;
  }

  async #firstTurn(requestedBy: string): Promise<void> {
    const held = await this.#hold();
    if (this.#stopped) return;
    if (held) {
      await this.#adopt();
      this.#holding = true;
      this.#schedule(this.#intervalWithJitter());
      await this.#poll(requestedBy);
      return;
    }
    this.#schedule(this.#followerDelay());
    if (this.#latest.length > 0) return;
    const latest = this.#poller.retainLatest ? await this.#readLatest() : undefined;
    if (latest !== undefined) this.#deliver(latest.data, latest.hash, latest.polledAt);
    else await this.#pollForNewcomer(requestedBy);
  }

  async #turn(): Promise<void> {
    this.#cancelTurn = undefined;
    if (this.#stopped) return;
    const held = await this.#hold();
    if (this.#stopped) return;
    if (held && !this.#holding) await this.#adopt();
    this.#holding = held;
    this.#schedule(held ? this.#intervalWithJitter() : this.#followerDelay());
    if (held && this.#polling === undefined && this.#settings.clock.now() >= this.#nextPollAt) await this.#poll(undefined);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#cancelTurn = this.#settings.clock.schedule(delayMs, () => this.#turn());
  }

  #intervalWithJitter(): number {
    return this.#settings.intervalMs * (1 + JITTER * this.#settings.random());
  }

  #followerDelay(): number {
    return (this.#settings.intervalMs / 2) * (1 + JITTER * this.#settings.random());
  }

  /** Whether this replica polls now; true when Redis cannot be asked (see the contract). */
  async #hold(): Promise<boolean> {
    try {
      return await this.#settings.leases.hold(this.key, this.#settings.intervalMs * LEASE_TTL_INTERVALS);
    } catch (error) {
      this.#settings.logger?.warn({ err: error, group: this.key }, 'live group: cannot reach the lease; polling without it');
      return true;
    }
  }

  async #adopt(): Promise<void> {
    const turn = (await this.#settings.states.get(`${this.key}:turn`).catch(() => undefined)) as Turn<S> | undefined;
    if (turn !== undefined) this.#turnState = turn;
  }

  async #readLatest(): Promise<Latest<D> | undefined> {
    return (await this.#settings.states.get(`${this.key}:latest`).catch(() => undefined)) as Latest<D> | undefined;
  }

  /** One poll as the holder: publish what changed, remember the turn. `requestedBy` marks a newcomer's first poll. */
  #poll(requestedBy: string | undefined): Promise<void> {
    const { clock, intervalMs } = this.#settings;
    const started = clock.now();
    const polling = (async () => {
      const previous = this.#turnState;
      let result: PollResult<S, D>;
      try {
        result = await this.#poller.poll(previous.state, { requestedBy, deadline: started + intervalMs });
      } catch (error) {
        await this.#failed(error, started);
        return;
      }
      const polledAt = clock.now();
      this.#stats.ok += 1;
      this.#stretch = 1;
      this.#nextPollAt = started + intervalMs;
      let hash = previous.hash;
      if (result.publish !== undefined) {
        const json = JSON.stringify(result.publish);
        const fresh = hashOf(json);
        if (fresh !== previous.hash || previous.failing) {
          hash = fresh;
          await this.#publish({ group: this.key, polledAt, hash, data: result.publish });
          if (this.#poller.retainLatest) await this.#save(`${this.key}:latest`, { data: result.publish, hash, polledAt }, LATEST_TTL_MS);
        } else if (requestedBy !== undefined && this.#deliveredHash !== fresh) {
          // A new group whose data the others already have: only this replica's newcomers need it.
          this.#deliver(result.publish, fresh, polledAt);
        }
      }
      this.#turnState = { state: result.state, hash, failing: false };
      await this.#save(`${this.key}:turn`, this.#turnState, intervalMs * TURN_TTL_INTERVALS);
    })().finally(() => {
      if (this.#polling === polling) this.#polling = undefined;
    });
    this.#polling = polling;
    return polling;
  }

  /** A newcomer on a replica that does not poll, when nobody has data to give it: one poll for it, delivered here only. */
  async #pollForNewcomer(requestedBy: string): Promise<void> {
    const { clock, intervalMs } = this.#settings;
    try {
      const result = await this.#poller.poll(this.#turnState.state, { requestedBy, deadline: clock.now() + intervalMs });
      if (result.publish !== undefined && this.#latest.length === 0 && !this.#stopped) {
        this.#deliver(result.publish, hashOf(JSON.stringify(result.publish)), clock.now());
      }
    } catch (error) {
      this.#settings.logger?.debug({ err: error, group: this.key }, 'live group: a newcomer’s own poll failed; it waits for the holder');
    }
  }

  async #failed(error: unknown, started: number): Promise<void> {
    const { intervalMs, logger, clock } = this.#settings;
    if (error instanceof FacadeError && error.code === 'UPSTREAM_RATE_LIMITED') {
      this.#stats.skipped += 1;
      this.#stretch = Math.min(this.#stretch * 2, MAX_STRETCH);
      this.#nextPollAt = started + intervalMs * this.#stretch;
      logger?.debug({ group: this.key, stretch: this.#stretch }, 'live group: the budget is short; poll skipped');
      return;
    }
    this.#nextPollAt = started + intervalMs;
    this.#stats.failed += 1;
    if (this.#turnState.failing) return;
    const failure =
      error instanceof FacadeError
        ? { code: error.code, message: error.message, ...(error.deployment === undefined ? {} : { deployment: error.deployment }) }
        : { code: 'INTERNAL_SERVER_ERROR' as const, message: 'The live query failed; it is polled again' };
    if (!(error instanceof FacadeError)) logger?.error({ err: error, group: this.key }, 'live group: poll failed unexpectedly');
    this.#turnState = { ...this.#turnState, failing: true };
    await this.#publish({ group: this.key, polledAt: clock.now(), error: failure });
    await this.#save(`${this.key}:turn`, this.#turnState, intervalMs * TURN_TTL_INTERVALS);
  }

  async #publish(payload: LiveGroupPayload): Promise<void> {
    try {
      await this.#settings.pubsub.publish(Topic.LiveGroup, this.key, payload);
    } catch (error) {
      this.#settings.logger?.warn({ err: error, group: this.key }, 'live group: publish failed; delivering here only');
      this.#receive(payload);
    }
  }

  async #save(key: string, value: unknown, ttlMs: number): Promise<void> {
    await this.#settings.states.set(key, value, ttlMs).catch((error: unknown) => {
      this.#settings.logger?.warn({ err: error, group: this.key }, 'live group: could not share its state');
    });
  }

  async #listen(channel: TopicSubscription<LiveGroupPayload>): Promise<void> {
    for await (const payload of channel) this.#receive(payload);
  }

  #receive(payload: LiveGroupPayload): void {
    if (this.#stopped) return;
    if (payload.error !== undefined) {
      const { code, message, deployment } = payload.error;
      const error = new FacadeError(code as ErrorCode, message, deployment === undefined ? {} : { deployment });
      this.#deliveredHash = undefined;
      this.#fanOut([new LiveEvent<V>(undefined, error, payload.polledAt)]);
      return;
    }
    if (payload.hash === undefined || payload.hash === this.#deliveredHash) return;
    this.#deliver(payload.data as D, payload.hash, payload.polledAt);
  }

  #deliver(data: D, hash: string, polledAt: number): void {
    this.#deliveredHash = hash;
    const events = this.#poller.present(data).map((value) => new LiveEvent<V>(value, undefined, polledAt));
    if (this.#poller.retainLatest) this.#latest = events;
    this.#fanOut(events);
  }

  #fanOut(events: LiveEvent<V>[]): void {
    for (const member of this.members) for (const event of events) member.deliver(event);
  }
}
