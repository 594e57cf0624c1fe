import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { connectRedis, createCache, storedKey } from './cache.js';
import { redisServerPath, startRedisServer } from './testing.js';

const T = { timeout: 20_000 };

describe('memory cache', T, () => {
  test('get/set/delete, TTL expiry and the entry bound', T, async () => {
    const c = createCache<{ n: number }>({ namespace: 'test', ttlMs: 60, maxEntries: 2 });
    assert.equal(c.backend, 'memory');
    await c.set('a', { n: 1 });
    await c.set('b', { n: 2 });
    assert.deepEqual(await c.get('a'), { n: 1 });
    await c.set('c', { n: 3 }); // evicts b, the least recently used
    assert.equal(await c.get('b'), undefined);
    assert.equal(await c.delete(['a', 'zzz']), 1);
    assert.equal(await c.get('a'), undefined);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(await c.get('c'), undefined, 'expired');
  });

  test('getOrLoad loads once, does not cache failures, and skips oversized values', T, async () => {
    const c = createCache<string>({ namespace: 'test', ttlMs: 10_000, maxEntries: 10, maxValueBytes: 10 });
    let loads = 0;
    const load = async () => `v${++loads}`;
    assert.deepEqual(await c.getOrLoad('k', load), { value: 'v1', cached: false });
    assert.deepEqual(await c.getOrLoad('k', load), { value: 'v1', cached: true });
    await assert.rejects(c.getOrLoad('bad', () => Promise.reject(new Error('provider down'))), /provider down/);
    assert.equal(await c.get('bad'), undefined);
    await c.set('big', 'x'.repeat(50));
    assert.equal(await c.get('big'), undefined);
  });

  test('stored keys carry no key text', T, () => {
    const k = storedKey('research:search', 'my private topic');
    assert.match(k, /^research:search:[A-Za-z0-9_-]{43}$/);
    assert.ok(!k.includes('private'));
  });
});

const skip = redisServerPath() ? false : 'redis-server is not installed (apt-get install redis-server)';

describe('redis cache', { ...T, skip }, () => {
  let server: Awaited<ReturnType<typeof startRedisServer>>;
  before(async () => {
    server = await startRedisServer();
  }, T);
  after(() => server?.stop(), T);

  test('two replicas share entries, with the TTL set in Redis', T, async () => {
    const r1 = connectRedis(server.url);
    const r2 = connectRedis(server.url);
    // Without an offline queue, commands before the connection is ready are misses.
    await Promise.all([once(r1, 'ready'), once(r2, 'ready')]);
    try {
      const a = createCache<number[]>({ namespace: 'shared', ttlMs: 5_000, maxEntries: 1, redis: r1 });
      const b = createCache<number[]>({ namespace: 'shared', ttlMs: 5_000, maxEntries: 1, redis: r2 });
      assert.equal(a.backend, 'redis');
      await a.set('topic', [1, 2, 3]);
      assert.deepEqual(await b.get('topic'), [1, 2, 3]);
      const ttl = await r1.pttl(storedKey('shared', 'topic'));
      assert.ok(ttl > 0 && ttl <= 5_000);
      assert.equal(await b.delete(['topic']), 1);
      assert.equal(await a.get('topic'), undefined);
    } finally {
      r1.disconnect();
      r2.disconnect();
    }
  });

  test('a Redis that goes away is a miss and an error report, never a failed request', T, async () => {
    const errors: unknown[] = [];
    const redis = connectRedis(server.url, { timeoutMs: 200 });
    redis.on('error', () => undefined);
    await once(redis, 'ready');
    const c = createCache<string>({ namespace: 'down', ttlMs: 5_000, maxEntries: 1, redis, onError: (e) => errors.push(e) });
    await c.set('k', 'v');
    assert.equal(await c.get('k'), 'v');
    await server.stop();
    assert.equal(await c.get('k'), undefined);
    await c.set('k2', 'v2');
    assert.deepEqual(await c.getOrLoad('k3', async () => 'fresh'), { value: 'fresh', cached: false });
    assert.ok(errors.length >= 2);
    redis.disconnect();
  });
});
