/**
 * The clock and timers live groups run on: real ones by default, a hand-driven one in
 * tests (`test/live/manual.timers.ts`), so a test of "nothing is sent over three quiet
 * intervals" advances three intervals instead of waiting for them.
 */
export interface LiveTimers {
  /** Epoch ms. */
  now(): number;
  /** Runs `run` after `ms`; the handle goes to `clearTimeout`. Real timers do not keep the process alive. */
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const REAL_TIMERS: LiveTimers = {
  now: () => Date.now(),
  setTimeout(run, ms) {
    const timer = setTimeout(run, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
