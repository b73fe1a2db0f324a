/**
 * The order in which the USM APIs received requests, for `GET /__sim/requests`: what
 * tests read to prove fairness ("how many upstream calls went out between the moment
 * key B asked and the moment B's call arrived").
 *
 * Contract: one entry per request that reached a USM API (an Anywhere deployment or
 * Central; never `/__sim/`, never a path that names no API). `seq` is assigned when the
 * request arrives, before any fault (latency included) delays it, so `seq` order is
 * arrival order even when answers overtake each other; `status` is null until the
 * request is answered, then the HTTP status, or `reset` for a socket destroyed without
 * an answer. `seq` starts at 1 and only grows: `clear()` empties the log but does not
 * reuse numbers, so a mark taken before a reset still means "after this". The log
 * keeps the newest `capacity` entries; older ones are dropped, which a reader sees as
 * a gap between the `after` it asked with and the first `seq` it got.
 */

export interface LoggedRequest {
  seq: number;
  /** Epoch ms on the simulator's clock, at arrival. */
  at: number;
  /** Deployment name, or `central`. */
  target: string;
  /** The bearer token's client (the Basic user on the token endpoint), else `(anonymous)`. */
  clientId: string;
  method: string;
  /** Below the API base, e.g. `/alarms/…`. */
  path: string;
  /** The raw query string without `?`; empty when there is none. */
  query: string;
  status: number | 'reset' | null;
}

export interface RequestLogPage {
  /** The `seq` of the first request not in `requests`: the last one's + 1, else the seq the next arrival gets. */
  next: number;
  requests: LoggedRequest[];
}

export type NewRequest = Omit<LoggedRequest, 'seq' | 'at' | 'status'>;

export const REQUEST_LOG_CAPACITY = 50_000;

export class RequestLog {
  /** A ring: the entry of `seq` lives at `seq % capacity`. */
  private ring: Array<LoggedRequest | undefined>;
  private nextSeq = 1;
  private held = 0;

  constructor(
    private readonly capacity: number,
    private readonly now: () => number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer; got ${capacity}`);
    this.ring = new Array<LoggedRequest | undefined>(capacity);
  }

  /** Logs an arriving request; set `status` on the returned entry once it is answered. */
  record(request: NewRequest): LoggedRequest {
    const entry: LoggedRequest = { seq: this.nextSeq++, at: this.now(), ...request, status: null };
    this.ring[entry.seq % this.capacity] = entry;
    this.held = Math.min(this.held + 1, this.capacity);
    return entry;
  }

  /** Up to `limit` entries with `seq` > `after`, oldest first. */
  read(after: number, limit: number): RequestLogPage {
    const oldest = this.nextSeq - this.held;
    const from = Math.max(after + 1, oldest);
    const to = Math.min(this.nextSeq, from + limit);
    const requests: LoggedRequest[] = [];
    for (let seq = from; seq < to; seq++) requests.push({ ...this.ring[seq % this.capacity]! });
    return { next: requests.length > 0 ? requests[requests.length - 1]!.seq + 1 : this.nextSeq, requests };
  }

  clear(): void {
    this.ring = new Array<LoggedRequest | undefined>(this.capacity);
    this.held = 0;
  }
}
