import assert from 'node:assert/strict';
import { test } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { connectRedis, createCache, storedKey, type Cache } from '@stats-agent/cache';
import { redisServerPath, startRedisServer } from '@stats-agent/cache/testing';
import type { ForgetResponse__Output, SearchResponse__Output } from '@stats-agent/proto';
import { SpiffeId } from '@stats-agent/spiffe';
import { researchPolicy } from '../authz.js';
import type { SearchOptions, SearchProvider, SearchResult } from '../providers/provider.js';
import { blogResults } from '../testing/fake-search-apis.js';
import { capture, context, withResearchServer } from '../testing/served.js';
import { forgetHandler } from './forget.js';
import { ForgetGenerations, searchHandler, topicCacheKey, type TopicPages } from './search.js';



/** A provider that counts calls and can hold one until released (to race a Forget against it). */
function countingProvider(): SearchProvider & { calls: string[]; hold?: Promise<void> } {
  const p: SearchProvider & { calls: string[]; hold?: Promise<void> } = {
    name: 'serper',
    calls: [],
    async search(topic: string, o: SearchOptions): Promise<SearchResult> {
      p.calls.push(`${topic}|${o.offset}|${o.reputableOnly}`);
      if (p.hold) await p.hold;
      return { hits: [{ url: `http://h/${o.offset}`, title: 't', snippet: 's', domain: 'h', position: o.offset + 1, score: 1, reputation_tier: 'other', publisher: '', publisher_domain: '' }], total: 9 };
    },
    close: () => Promise.resolve(),
  };
  return p;
}

function agentWith(cache: Cache<TopicPages>, provider: SearchProvider) {
  const generations = new ForgetGenerations();
  return {
    search: searchHandler(provider, 10, cache, { ttlMs: 60_000, generations }),
    forget: forgetHandler(provider, cache, generations),
  };
}

test('Forget drops every cached window of a topic and nothing of other topics; idempotent; topics are not logged', { timeout: 5000 }, async () => {
  const { lines, logger } = capture();
  const provider = countingProvider();
  const cache = createCache<TopicPages>({ namespace: 't', maxEntries: 10, ttlMs: 60_000 });
  const agent = agentWith(cache, provider);
  const req = { topic: 'Private  Topic', limit: 5, offset: 0, reputable_only: false };
  await agent.search(req, context(logger));
  await agent.search({ ...req, offset: 5 }, context(logger));
  await agent.search({ ...req, reputable_only: true }, context(logger));
  await agent.search({ ...req, topic: 'other topic' }, context(logger));
  assert.equal(provider.calls.length, 4);
  assert.equal(Object.keys((await cache.get(topicCacheKey('serper', 'private topic')))?.windows ?? {}).length, 3, 'one entry holds all windows of the topic');

  const res = await agent.forget({ topics: ['PRIVATE topic', ' private   topic '] }, context(logger));
  assert.equal(res.forgotten, 1, 'one cache entry per (provider, topic)');
  assert.equal(await cache.get(topicCacheKey('serper', 'private topic')), undefined);
  await agent.search({ ...req, topic: 'other topic' }, context(logger));
  assert.equal(provider.calls.length, 4, 'other topics stay cached');
  await agent.search({ ...req, offset: 5 }, context(logger));
  assert.equal(provider.calls.length, 5, 'a forgotten topic is searched again');

  assert.equal((await agent.forget({ topics: ['never searched'] }, context(logger))).forgotten, 0);
  const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'topics forgotten');
  assert.equal(logged.length, 2);
  assert.equal(logged[0]?.['topics'], 1);
  assert.ok(lines.every((l) => !/private/i.test(l)), 'no topic text in the log');
});

test('a search under way when its topic is forgotten does not write its results back', { timeout: 5000 }, async () => {
  const { logger } = capture();
  const provider = countingProvider();
  const cache = createCache<TopicPages>({ namespace: 't', maxEntries: 10, ttlMs: 60_000 });
  const agent = agentWith(cache, provider);
  let release = (): void => undefined;
  provider.hold = new Promise<void>((r) => (release = r));
  const pending = agent.search({ topic: 'late topic', limit: 5, offset: 0, reputable_only: false }, context(logger));
  while (provider.calls.length === 0) await new Promise((r) => setImmediate(r));
  await agent.forget({ topics: ['late topic'] }, context(logger));
  release();
  const res = await pending;
  assert.equal(res.sources?.length, 1, 'the caller still gets its answer');
  assert.equal(await cache.get(topicCacheKey('serper', 'late topic')), undefined, 'but the cache does not keep it');
});

test('Forget is refused to anyone but the orchestrator', { timeout: 5000 }, () => {
  const orchestrator = 'spiffe://example.org/ns/stats-agent/sa/orchestration';
  const policy = researchPolicy(orchestrator, 'example.org');
  const forget = policy['/stats.research.v1.ResearchService/Forget'];
  assert.ok(forget, 'Forget has a policy (an RPC without one is refused by default, but say who may)');
  assert.doesNotThrow(() => forget(SpiffeId.parse(orchestrator)));
  assert.throws(() => forget(SpiffeId.parse('spiffe://example.org/ns/stats-agent/sa/verification')));
  assert.throws(() => forget(SpiffeId.parse('spiffe://other.org/ns/stats-agent/sa/orchestration')));
});

const KEY = 'forget-test-serper-key-1';

function call<T>(fn: (cb: (err: ServiceError | null, res?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, res) => (err || res === undefined ? reject(err ?? new Error('no response')) : resolve(res))));
}


async function searchForgetSearch(cache: Cache<TopicPages>): Promise<void> {
  await withResearchServer({ fakeKey: KEY, cache }, async (client, fake) => {
    fake.results.set('erased subject topic', blogResults(6));
    const deadline = () => ({ deadline: Date.now() + 5000 });
    const search = () => call<SearchResponse__Output>((cb) => client.Search({ topic: 'erased subject topic', limit: 5, offset: 0, reputable_only: false }, deadline(), cb));
    await search();
    await search();
    const before = fake.requests.length;
    assert.ok(before >= 1);
    const res = await call<ForgetResponse__Output>((cb) => client.Forget({ topics: ['Erased Subject Topic'] }, deadline(), cb));
    assert.ok(res.forgotten >= 2, `the search cache entry and the provider's pages (${res.forgotten})`);
    await search();
    assert.ok(fake.requests.length > before, 'after Forget the provider is asked again: nothing was left in either cache');
    const again = await call<ForgetResponse__Output>((cb) => client.Forget({ topics: ['nothing like it'] }, deadline(), cb));
    assert.equal(again.forgotten, 0);

    for (const bad of [{ topics: [] }, { topics: [''] }, { topics: Array.from({ length: 101 }, (_, i) => `t${i}`) }, { topics: ['x'.repeat(501)] }]) {
      const err = await call<ForgetResponse__Output>((cb) => client.Forget(bad, deadline(), cb)).then(
        () => assert.fail('expected INVALID_ARGUMENT'),
        (e: unknown) => e as ServiceError,
      );
      assert.equal(err.code, status.INVALID_ARGUMENT);
    }
    assert.deepEqual(fake.problems, []);
  });
}

test('gRPC Forget (memory cache): the topic is gone from the search cache and the provider page cache; bad lists are INVALID_ARGUMENT', { timeout: 15_000 }, async () => {
  await searchForgetSearch(createCache<TopicPages>({ namespace: 't', maxEntries: 100, ttlMs: 60_000 }));
});

test('gRPC Forget (Redis cache): the topic key is deleted from Redis', { timeout: 20_000, skip: redisServerPath() ? false : 'redis-server is not installed' }, async () => {
  const server = await startRedisServer();
  const redis = connectRedis(server.url, { timeoutMs: 2000 });
  redis.on('error', () => undefined);
  try {
    const cache = createCache<TopicPages>({ namespace: 'research:search', maxEntries: 100, ttlMs: 60_000, redis });
    await searchForgetSearch(cache);
    // The search after Forget cached the topic again; forget it once more and look in Redis itself.
    const key = storedKey('research:search', topicCacheKey('serper', 'erased subject topic'));
    assert.equal(await redis.exists(key), 1);
    await withResearchServer({ fakeKey: KEY, cache }, async (client) => {
      await call<ForgetResponse__Output>((cb) => client.Forget({ topics: ['erased subject topic'] }, { deadline: Date.now() + 5000 }, cb));
    });
    assert.equal(await redis.exists(key), 0);
    assert.deepEqual(await redis.keys('*'), [], 'nothing of the topic is left in Redis');
  } finally {
    redis.disconnect();
    await server.stop();
  }
});
