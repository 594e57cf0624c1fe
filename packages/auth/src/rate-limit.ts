import { connectRedis } from '@stats-agent/cache';
import type { Redis } from 'ioredis';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * Per-principal rate limiting, as close to a token bucket as rate-limiter-flexible comes: its
 * `BurstyRateLimiter` over two fixed-window limiters.
 *
 * - The steady limiter refills `perMinute` in small steps: `perMinute / g` points every `60 / g`
 *   seconds (g = gcd(perMinute, 60)), e.g. 60/min → 1 per second, 100/min → 5 every 3 s. It is the
 *   token bucket's refill rate, exact over every minute, without a per-minute fixed window's
 *   "twice the limit across the boundary".
 * - The burst limiter lends up to `burst` more requests when the steady one is empty, and refills
 *   them over the time a token bucket of that size takes to refill (`60 * burst / perMinute` s).
 *
 * A client that idles can therefore send about `burst` requests at once, then the steady rate — a
 * token bucket's behaviour; a client that stays at the limit is held to at most the steady rate
 * plus `burst` per burst window (the library's documented trade-off).
 */
export interface RateLimitOptions {
  perMinute: number;
  burst: number;
  /**
   * Shared store so every replica sees one bucket per principal. When Redis fails (down, slow,
   * not yet connected) the limiter FAILS OPEN TO MEMORY: that replica falls back to its own
   * in-memory buckets (the same limits, per replica) and reports the error to `onStoreError`.
   * Never fully open (a Redis outage is not an unlimited API) and never closed (a Redis outage is
   * not an API outage).
   */
  redis?: Redis;
  keyPrefix?: string;
  onStoreError?: (err: Error) => void;
}

export interface RateDecision {
  allowed: boolean;
  /** Points of the steady window and what is left of it; seconds until it refills. */
  limit: number;
  remaining: number;
  resetSec: number;
  /** Seconds to wait, when refused. */
  retryAfterSec: number;
  /** True when Redis failed and the in-memory fallback decided. */
  degraded: boolean;
}

export interface RateLimiter {
  readonly policy: { perMinute: number; burst: number; windowSec: number; windowPoints: number; burstWindowSec: number };
  /** Takes one point for `key`. Never rejects. */
  consume(key: string): Promise<RateDecision>;
  /** `RateLimit-*` headers for a decision (draft-ietf-httpapi-ratelimit-headers), and `Retry-After` when refused. */
  headers(d: RateDecision): Record<string, string>;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export function createRateLimiter(opts: RateLimitOptions): RateLimiter {
  if (!Number.isInteger(opts.perMinute) || opts.perMinute < 1) throw new Error('auth: RATE_LIMIT_PER_MINUTE must be a positive integer');
  if (!Number.isInteger(opts.burst) || opts.burst < 0) throw new Error('auth: RATE_LIMIT_BURST must be a non-negative integer');
  const g = gcd(opts.perMinute, 60);
  const windowSec = 60 / g;
  const windowPoints = opts.perMinute / g;
  const burstWindowSec = Math.max(windowSec, Math.ceil((60 * opts.burst) / opts.perMinute));
  const prefix = opts.keyPrefix ?? 'stats-agent:rl';

  const build = (make: (o: { points: number; duration: number; keyPrefix: string }) => RateLimiterAbstract) => {
    const steady = make({ points: windowPoints, duration: windowSec, keyPrefix: `${prefix}:steady` });
    return opts.burst > 0 ? new BurstyRateLimiter(steady, make({ points: opts.burst, duration: burstWindowSec, keyPrefix: `${prefix}:burst` })) : steady;
  };
  const memory = build((o) => new RateLimiterMemory(o));
  const redis = opts.redis;
  const shared = redis ? build((o) => new RateLimiterRedis({ ...o, storeClient: redis, rejectIfRedisNotReady: true })) : undefined;

  const decide = (res: RateLimiterRes, allowed: boolean, degraded: boolean): RateDecision => ({
    allowed,
    limit: windowPoints,
    remaining: Math.max(0, res.remainingPoints),
    resetSec: Math.max(0, Math.ceil(res.msBeforeNext / 1000)),
    retryAfterSec: allowed ? 0 : Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    degraded,
  });

  const run = async (limiter: RateLimiterAbstract | BurstyRateLimiter, key: string, degraded: boolean): Promise<RateDecision> => {
    try {
      return decide(await limiter.consume(key), true, degraded);
    } catch (err) {
      if (err instanceof RateLimiterRes) return decide(err, false, degraded);
      throw err;
    }
  };

  return {
    policy: { perMinute: opts.perMinute, burst: opts.burst, windowSec, windowPoints, burstWindowSec },
    async consume(key) {
      if (shared) {
        try {
          return await run(shared, key, false);
        } catch (err) {
          opts.onStoreError?.(err instanceof Error ? err : new Error(String(err)));
        }
      }
      return run(memory, key, shared !== undefined);
    },
    headers(d) {
      const burstQuota = (windowPoints * burstWindowSec) / windowSec + opts.burst;
      const h: Record<string, string> = {
        'ratelimit-policy': opts.burst > 0 ? `${windowPoints};w=${windowSec}, ${burstQuota};w=${burstWindowSec}` : `${windowPoints};w=${windowSec}`,
        'ratelimit-limit': String(d.limit),
        'ratelimit-remaining': String(d.remaining),
        'ratelimit-reset': String(d.resetSec),
      };
      if (!d.allowed) h['retry-after'] = String(d.retryAfterSec);
      return h;
    },
  };
}

/** An ioredis client for the limiter (and the caches): see `connectRedis` in @stats-agent/cache. */
export const createRedisClient = connectRedis;
