/**
 * The one seam for time: what the hour is, running something later, and waiting.
 *
 * Contract:
 * - `now()` answers epoch milliseconds. A test clock may stand still or jump; code must
 *   not assume it moves between two readings.
 * - `schedule(ms, run)` runs `run` once, `ms` from now (on the next turn of the timers
 *   when `ms` ≤ 0), and answers a function that cancels it; cancelling after it ran, or
 *   twice, does nothing. `ms` above `MAX_TIMER_MS` is a `RangeError` (a real timer
 *   would fire at once): reach a later time in several hops.
 * - `sleep(ms)` resolves `ms` from now, on the same timers.
 * - The timers of `systemClock` never keep the process alive (they are `unref`'d): what
 *   must keep it alive holds something else open (a server, a socket).
 * - Code that is given a `Clock` reads and waits on it alone, never on `Date.now` or the
 *   global `setTimeout` beside it, so a test that drives the clock by hand
 *   (`test/support/manual.clock.ts`) drives all of it. `systemClock` looks the globals
 *   up at each call, so node:test `mock.timers` drives it too.
 *
 * A room of its own that imports nothing: upstream/, live/, keys/ and the rest import it.
 */

/** Cancels what `schedule` armed. */
export type Cancel = () => void;

export interface Clock {
  /** Epoch ms. */
  now(): number;
  /** Runs `run` once after `ms`; the answer cancels it. */
  schedule(ms: number, run: () => void): Cancel;
  /** Resolves after `ms`. */
  sleep(ms: number): Promise<void>;
}

/** The longest delay one timer takes (`setTimeout`'s ceiling, about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

/** Real time: `Date.now` and unref'd `setTimeout`. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  schedule(ms: number, run: () => void): Cancel {
    if (ms > MAX_TIMER_MS) throw new RangeError(`Clock.schedule: ${ms} ms is longer than one timer takes (${MAX_TIMER_MS}); schedule a hop and re-arm`);
    const timer = setTimeout(run, Math.max(0, ms));
    timer.unref();
    return () => clearTimeout(timer);
  },
  sleep: (ms: number) => new Promise<void>((resolve) => systemClock.schedule(ms, resolve)),
});
