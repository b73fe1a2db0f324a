/**
 * One client's sliding rate window: "at most `limit` accepted requests in any span".
 *
 * Contract: `tryAdmit(now)` accepts when fewer than `limit` requests were accepted
 * with a timestamp > now - spanMs, and records it; a refused request records nothing,
 * so hammering a full window never extends it. O(1) amortised: accepted timestamps
 * sit in a ring buffer of exactly `limit` slots (it can never hold more) and expire
 * from its head. Assumes a clock that does not run backwards; if an injected clock
 * does, older stamps simply stay counted until the clock passes them again.
 */
export class SlidingWindow {
  private readonly stamps: Float64Array;
  private head = 0;
  private count = 0;

  constructor(
    readonly limit: number,
    readonly spanMs = 1000,
  ) {
    this.stamps = new Float64Array(limit);
  }

  tryAdmit(now: number): boolean {
    this.expire(now);
    if (this.count >= this.limit) return false;
    this.stamps[(this.head + this.count) % this.limit] = now;
    this.count++;
    return true;
  }

  /** Accepted requests inside the window ending at `now`. */
  sizeAt(now: number): number {
    this.expire(now);
    return this.count;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  private expire(now: number): void {
    const cutoff = now - this.spanMs;
    while (this.count > 0 && this.stamps[this.head]! <= cutoff) {
      this.head = (this.head + 1) % this.limit;
      this.count--;
    }
  }
}
