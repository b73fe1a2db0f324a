/**
 * Throttling of failed authentication, per client address.
 *
 * Contract: `recordFailure(address)` counts one failed attempt in a window of
 * `windowMs`; from the `maxFailures + 1`-th failure in a window it answers how long
 * until the window ends, which the caller puts in its UNAUTHENTICATED answer.
 * Successful authentication neither counts nor is refused: a valid key from an address
 * that is over its budget still works (a secret of ~190 bits cannot be guessed, and a
 * shared NAT address must not lock out everyone behind it). Counts live in memory
 * (`createMemoryAuthThrottle`) or in Redis (`createRedisAuthThrottle`), shared by
 * every replica.
 */
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface AuthThrottleOptions {
  /** Failures allowed per address and window before answers carry a retry hint. Default 10. */
  maxFailures?: number;
  /** Length of the counting window. Default 60 000 ms. */
  windowMs?: number;
}

export interface ThrottleVerdict {
  /** Milliseconds until this address's failure budget refills. */
  retryAfterMs: number;
}

export class AuthThrottle {
  constructor(
    private readonly limiter: RateLimiterAbstract,
    readonly maxFailures: number,
  ) {}

  /** Counts a failure; answers with a retry hint once the address is over its budget. */
  async recordFailure(address: string): Promise<ThrottleVerdict | null> {
    const result = await this.limiter.penalty(address, 1);
    return result.consumedPoints > this.maxFailures ? { retryAfterMs: Math.max(0, result.msBeforeNext) } : null;
  }
}

function settings(options: AuthThrottleOptions): { points: number; duration: number; maxFailures: number } {
  const maxFailures = options.maxFailures ?? 10;
  const windowMs = options.windowMs ?? 60_000;
  if (!Number.isInteger(maxFailures) || maxFailures < 1) {
    throw new Error(`maxFailures must be a whole number ≥ 1; got ${maxFailures}`);
  }
  if (!Number.isInteger(windowMs) || windowMs < 1000 || windowMs % 1000 !== 0) {
    throw new Error(`windowMs must be whole seconds (≥ 1000); got ${windowMs}`);
  }
  return { points: maxFailures, duration: windowMs / 1000, maxFailures };
}

export function createMemoryAuthThrottle(options: AuthThrottleOptions = {}): AuthThrottle {
  const { points, duration, maxFailures } = settings(options);
  return new AuthThrottle(new RateLimiterMemory({ points, duration, keyPrefix: 'usmf-auth-fail' }), maxFailures);
}

export interface RedisAuthThrottleOptions extends AuthThrottleOptions {
  /** A connected client from `@redis/client`'s `createClient`; the caller opens and closes it. */
  client: unknown;
  /** Prefix of the counters' Redis keys. Default `usmf:auth-fail`. */
  prefix?: string;
}

export function createRedisAuthThrottle(options: RedisAuthThrottleOptions): AuthThrottle {
  const { points, duration, maxFailures } = settings(options);
  const limiter = new RateLimiterRedis({
    storeClient: options.client,
    useRedisPackage: true,
    points,
    duration,
    keyPrefix: options.prefix ?? 'usmf:auth-fail',
  });
  return new AuthThrottle(limiter, maxFailures);
}
