/**
 * Performs the scheduled rotations of API keys that have a rotation policy.
 *
 * Contract: `start()` first rotates every key already due, including those that fell
 * due while the facade was down (once each, not once per missed interval: the next
 * rotation is one interval after the catch-up), then keeps one timer armed for the
 * next due time. It re-reads the schedule after every change this replica makes and at
 * least every `resyncEveryMs` (changes made on other replicas). With several replicas,
 * each rotation is claimed through the lock port under a name that includes its due
 * time, and the service rotates only if the key is still due at that time
 * (compare-and-set), so a key is rotated once however many replicas wake up.
 * A failed rotation is logged and retried after `retryAfterFailureMs`; the timer never
 * keeps the process alive. `stop()` disarms and waits for a run in progress.
 */
import type { Logger } from '../log/logger.js';
import { MAX_TIMER_MS, systemClock, type Cancel, type Clock } from '../time/clock.js';
import type { ApiKeyService, ScheduledRotation } from './api-key.service.js';
import type { LockPort } from './lock.port.js';

export interface RotationSchedulerOptions {
  service: ApiKeyService;
  /** The same lock every replica uses (Redis with several replicas). */
  lock: LockPort;
  logger: Logger;
  /** When rotations fall due, and the timer that waits for them. Default `systemClock`. */
  clock?: Clock;
  /** How long a replica's claim on one rotation lasts. Default 60 000 ms. */
  lockTtlMs?: number;
  /** Longest time between two reads of the schedule. Default 300 000 ms (5 min). */
  resyncEveryMs?: number;
  /** Wait before retrying a rotation that failed. Default 60 000 ms. */
  retryAfterFailureMs?: number;
}

type Outcome = 'ROTATED' | 'NOT_DUE' | 'CLAIMED_ELSEWHERE' | 'FAILED';

export class RotationScheduler {
  private readonly service: ApiKeyService;
  private readonly lock: LockPort;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly lockTtlMs: number;
  private readonly resyncEveryMs: number;
  private readonly retryAfterFailureMs: number;
  private cancelTimer: Cancel | undefined;
  private running: Promise<number> | undefined;
  private rerun = false;
  private started = false;
  private unsubscribe: (() => void) | undefined;

  constructor(options: RotationSchedulerOptions) {
    this.service = options.service;
    this.lock = options.lock;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.lockTtlMs = options.lockTtlMs ?? 60_000;
    this.resyncEveryMs = options.resyncEveryMs ?? 300_000;
    this.retryAfterFailureMs = options.retryAfterFailureMs ?? 60_000;
  }

  /** Catches up on due rotations, then keeps the timer armed. Answers how many this replica performed. */
  async start(): Promise<number> {
    if (this.started) throw new Error('This rotation scheduler is already started; stop() it first.');
    this.started = true;
    this.unsubscribe = this.service.onScheduleChange(() => {
      if (this.started) void this.runDue();
    });
    return this.runDue();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.disarm();
    await this.running?.catch(() => undefined);
  }

  /**
   * Performs every rotation due now, then (when started) re-arms the timer. Concurrent
   * calls share one run, followed by one more if a change arrived meanwhile. Answers
   * how many rotations this replica performed.
   */
  runDue(): Promise<number> {
    if (this.running !== undefined) {
      this.rerun = true;
      return this.running;
    }
    const run = (async () => {
      let performed = 0;
      do {
        this.rerun = false;
        performed += await this.pass();
      } while (this.rerun);
      return performed;
    })();
    this.running = run;
    void run.finally(() => {
      if (this.running === run) this.running = undefined;
    });
    return run;
  }

  /** One read of the schedule: rotate what is due, arm for what is next. */
  private async pass(): Promise<number> {
    const now = this.clock.now();
    let next = now + this.resyncEveryMs;
    let performed = 0;
    try {
      for (const due of await this.service.scheduledRotations()) {
        if (due.nextRotationAt > now) {
          next = Math.min(next, due.nextRotationAt);
          continue;
        }
        const outcome = await this.rotate(due);
        if (outcome === 'ROTATED') performed += 1;
        // Another replica holds the claim: if it dies mid-way, the claim expires and this replica takes over.
        if (outcome === 'CLAIMED_ELSEWHERE') next = Math.min(next, now + this.lockTtlMs);
        if (outcome === 'FAILED') next = Math.min(next, now + this.retryAfterFailureMs);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'rotation scheduler could not read the key schedule; retrying');
      next = Math.min(next, now + this.retryAfterFailureMs);
    }
    this.arm(next);
    return performed;
  }

  private async rotate(due: ScheduledRotation): Promise<Outcome> {
    const claim = `rotation:${due.keyId}:${due.nextRotationAt}`;
    try {
      if (!(await this.lock.acquire(claim, this.lockTtlMs))) return 'CLAIMED_ELSEWHERE';
    } catch (error) {
      this.logger.error({ err: error, keyId: due.keyId }, 'rotation scheduler could not claim a due rotation; retrying');
      return 'FAILED';
    }
    try {
      // The claim is left to expire: its name holds this due time only, and the compare-and-set stops a late second run.
      return (await this.service.rotateIfDue(due.keyId, due.nextRotationAt)) ? 'ROTATED' : 'NOT_DUE';
    } catch (error) {
      this.logger.error({ err: error, keyId: due.keyId }, 'scheduled api key rotation failed; retrying');
      await this.lock.release(claim).catch(() => undefined);
      return 'FAILED';
    }
  }

  private arm(at: number): void {
    this.disarm();
    if (!this.started) return;
    // A later due time is reached in several hops: each re-reads the schedule.
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - this.clock.now()));
    this.cancelTimer = this.clock.schedule(delay, () => {
      this.cancelTimer = undefined;
      void this.runDue();
    });
  }

  private disarm(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }
}
