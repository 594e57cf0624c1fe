import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * A TTL cache of JSON values under one namespace. Reads and writes never throw: a backend that
 * fails (Redis down or slow) is reported through `onError` and behaves as a miss, so a cache can
 * make a request faster but never make it fail.
 */
export interface Cache<V> {
  readonly backend: 'memory' | 'redis';
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V): Promise<void>;
  delete(keys: readonly string[]): Promise<number>;
  /** The cached value, or the one `load` gives (cached unless it throws; `load`'s errors reach the caller). */
  getOrLoad(key: string, load: () => Promise<V>): Promise<{ value: V; cached: boolean }>;
}

export interface CacheOptions {
  /** Prefix of every key ("research:search"), so caches sharing a Redis never collide. */
  namespace: string;
  ttlMs: number;
  /** Entries kept in memory (least recently used evicted first). */
  maxEntries: number;
  /** Values larger than this (serialized) are not cached. */
  maxValueBytes?: number;
  /** When given, the cache lives in Redis (shared by replicas) instead of in memory. */
  redis?: Redis;
  /** Told about backend failures (the caller logs and counts them); must not throw. */
  onError?: (err: unknown) => void;
}

/** The stored key: namespace + SHA-256 of the caller's key, so keys carry no topic text and have one length. */
export function storedKey(namespace: string, key: string): string {
  return `${namespace}:${createHash('sha256').update(key).digest('base64url')}`;
}

export function createCache<V>(opts: CacheOptions): Cache<V> {
  if (!(opts.ttlMs > 0)) throw new RangeError('cache: ttlMs must be positive');
  if (!Number.isInteger(opts.maxEntries) || opts.maxEntries < 1) throw new RangeError('cache: maxEntries must be a positive integer');
  const maxBytes = opts.maxValueBytes ?? 4 * 1024 * 1024;
  const backend = opts.redis ? redisBackend(opts.redis, opts.ttlMs) : memoryBackend(opts.maxEntries, opts.ttlMs);
  const fail = (err: unknown): undefined => {
    opts.onError?.(err);
    return undefined;
  };
  const cache: Cache<V> = {
    backend: opts.redis ? 'redis' : 'memory',
    async get(key) {
      const raw = await backend.get(storedKey(opts.namespace, key)).catch(fail);
      if (raw === undefined) return undefined;
      try {
        return JSON.parse(raw) as V;
      } catch (err) {
        return fail(err);
      }
    },
    async set(key, value) {
      const raw = JSON.stringify(value);
      if (raw === undefined || Buffer.byteLength(raw) > maxBytes) return;
      await backend.set(storedKey(opts.namespace, key), raw).catch(fail);
    },
    async delete(keys) {
      if (keys.length === 0) return 0;
      return (await backend.delete(keys.map((k) => storedKey(opts.namespace, k))).catch(fail)) ?? 0;
    },
    async getOrLoad(key, load) {
      const hit = await cache.get(key);
      if (hit !== undefined) return { value: hit, cached: true };
      const value = await load();
      await cache.set(key, value);
      return { value, cached: false };
    },
  };
  return cache;
}

interface Backend {
  get(key: string): Promise<string | undefined>;
  set(key: string, raw: string): Promise<void>;
  delete(keys: string[]): Promise<number>;
}

function memoryBackend(maxEntries: number, ttlMs: number): Backend {
  const entries = new Map<string, { raw: string; expires: number }>();
  return {
    async get(key) {
      const e = entries.get(key);
      if (!e) return undefined;
      if (e.expires <= Date.now()) {
        entries.delete(key);
        return undefined;
      }
      entries.delete(key);
      entries.set(key, e);
      return e.raw;
    },
    async set(key, raw) {
      entries.delete(key);
      entries.set(key, { raw, expires: Date.now() + ttlMs });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
    },
    async delete(keys) {
      let n = 0;
      for (const k of keys) if (entries.delete(k)) n++;
      return n;
    },
  };
}

function redisBackend(redis: Redis, ttlMs: number): Backend {
  return {
    async get(key) {
      return (await redis.get(key)) ?? undefined;
    },
    async set(key, raw) {
      await redis.set(key, raw, 'PX', ttlMs);
    },
    async delete(keys) {
      return redis.del(...keys);
    },
  };
}

/**
 * An ioredis client for caches and limiters: no offline queue (a command while disconnected
 * fails at once instead of waiting), one retry, a deadline on connecting and on every command,
 * and reconnection with a capped backoff. Attach an `error` listener; close with `quit()`.
 */
export function connectRedis(url: string, opts: { timeoutMs?: number } = {}): Redis {
  const timeoutMs = opts.timeoutMs ?? 500;
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: Math.max(1000, timeoutMs * 4),
    commandTimeout: timeoutMs,
    retryStrategy: (times) => Math.min(times * 200, 5000),
  });
}

/**
 * A service's cache as its configuration asks: in Redis when `redisUrl` is set (one client of
 * its own, errors reported through `warn`), else in memory. A failing backend is a miss, reported
 * as "<what> unavailable". `close()` drops the Redis connection.
 */
export function openCache<V>(
  opts: Omit<CacheOptions, 'redis' | 'onError'> & { redisUrl?: string | undefined; what: string; warn: (obj: object, msg: string) => void },
): { cache: Cache<V>; close(): void } {
  const { redisUrl, what, warn, ...cacheOpts } = opts;
  const redis = redisUrl ? connectRedis(redisUrl) : undefined;
  redis?.on('error', (err: Error) => warn({ err: err.message }, 'redis error'));
  const cache = createCache<V>({
    ...cacheOpts,
    ...(redis ? { redis } : {}),
    onError: (err) => warn({ err: err instanceof Error ? err.message : String(err) }, `${what} unavailable; going on without it`),
  });
  return { cache, close: () => redis?.disconnect() };
}
