/**
 * A `Clock` tests move by hand, so that "nothing happens for three intervals" or "the
 * backoff waits 800 ms" takes no real time.
 *
 * `advance(ms)` moves the clock to each timer that falls due within `ms`, in order
 * (timers they arm that fall due within `ms` too), runs it, waits for the work it
 * started (the promise `run` answers, if any, and every promise chain that can settle
 * without I/O), then ends at `ms` from where it began. `set(at)` jumps without running
 * timers (a wall clock set by hand); `now` may be passed on alone (the simulator's `now`).
 */
import type { Cancel, Clock } from '../../src/time/clock.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

export class ManualClock implements Clock {
  #time: number;
  #seq = 0;
  readonly #due = new Map<number, { at: number; run: () => unknown }>();

  constructor(start = Date.now()) {
    this.#time = start;
  }

  readonly now = (): number => this.#time;

  readonly schedule = (ms: number, run: () => unknown): Cancel => {
    const id = ++this.#seq;
    this.#due.set(id, { at: this.#time + Math.max(0, ms), run });
    return () => void this.#due.delete(id);
  };

  readonly sleep = (ms: number): Promise<void> => new Promise((resolve) => this.schedule(ms, resolve));

  /** Timers waiting to run. */
  get pending(): number {
    return this.#due.size;
  }

  async advance(ms: number): Promise<void> {
    const until = this.#time + ms;
    for (;;) {
      await turn();
      let next: [number, { at: number; run: () => unknown }] | undefined;
      for (const entry of this.#due) if (entry[1].at <= until && (next === undefined || entry[1].at < next[1].at)) next = entry;
      if (next === undefined) break;
      this.#due.delete(next[0]);
      this.#time = Math.max(this.#time, next[1].at);
      await next[1].run();
    }
    this.#time = until;
  }

  set(at: number): void {
    this.#time = at;
  }
}
