/**
 * The clock every time-dependent part of the upstream layer reads (token expiry, the
 * in-memory rate window), so that tests can move time instead of waiting for it.
 *
 * Contract: returns epoch milliseconds; tests may return any non-decreasing sequence.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
