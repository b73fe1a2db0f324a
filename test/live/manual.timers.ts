/**
 * Hand-driven `LiveTimers`: `advance(ms)` moves the clock, runs every timer that falls
 * due in order (timers they set that fall due within `ms` too), and waits for the work
 * each started (a live group's turn: its lease, its poll, its publish) before the next.
 */
import type { LiveTimers } from '../../src/live/live.timers.js';

export class ManualTimers implements LiveTimers {
  #now: number;
  #seq = 0;
  readonly #due = new Map<number, { at: number; run: () => unknown }>();

  constructor(start = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(run: () => unknown, ms: number): unknown {
    const id = ++this.#seq;
    this.#due.set(id, { at: this.#now + Math.max(0, ms), run });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#due.delete(handle as number);
  }

  /** Timers waiting to run. */
  get pending(): number {
    return this.#due.size;
  }

  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; run: () => unknown }] | undefined;
      for (const entry of this.#due) if (entry[1].at <= until && (next === undefined || entry[1].at < next[1].at)) next = entry;
      if (next === undefined) break;
      this.#due.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at);
      await next[1].run();
    }
    this.#now = until;
  }
}
