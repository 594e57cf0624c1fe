import assert from 'node:assert/strict';
import { test } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import type { ResearchServiceClient, SearchResponse__Output } from '@stats-agent/proto';
import { RpcError } from '@stats-agent/rpc';
import { createCache } from '@stats-agent/cache';
import { SearchProviderError, type SearchErrorCode, type SearchOptions, type SearchProvider } from '../providers/provider.js';
import { blogResults } from '../testing/fake-search-apis.js';
import { capture, context, withResearchServer } from '../testing/served.js';
import { searchHandler, type TopicPages } from './search.js';



function fakeProvider(name: string, calls: string[], fail?: SearchProviderError): SearchProvider {
  return {
    name,
    search(topic: string, o: SearchOptions) {
      calls.push(`${name}|${topic}|${o.offset}|${o.limit}|${o.reputableOnly}`);
      if (fail) return Promise.reject(fail);
      const hit = { url: `http://h/${o.offset}`, title: 't', snippet: 's', domain: 'h', position: o.offset + 1, score: 1, reputation_tier: 'other', publisher: '', publisher_domain: '' };
      return Promise.resolve({ hits: [hit], total: 9 });
    },
    close: () => Promise.resolve(),
  };
}

test('results are cached per provider, topic, flags and page', { timeout: 5000 }, async () => {
  const calls: string[] = [];
  const { logger } = capture();
  const cache = createCache<TopicPages>({ namespace: 't', maxEntries: 10, ttlMs: 60_000 });
  const handler = searchHandler(fakeProvider('serper', calls), 10, cache, { ttlMs: 60_000 });
  const req = { topic: 'Solar  Power', limit: 0, offset: 3, reputable_only: false };
  const first = await handler(req, context(logger));
  const again = await handler({ ...req, topic: 'solar power' }, context(logger));
  assert.deepEqual(again, first);
  assert.equal(calls.length, 1, 'same topic modulo case and spaces is served from the cache');
  assert.equal(first.provider, 'serper');
  assert.equal(first.sources?.[0]?.position, 4);
  assert.equal(calls[0], 'serper|Solar  Power|3|10|false', 'limit 0 means the default');
  await handler({ ...req, reputable_only: true }, context(logger));
  await handler({ ...req, offset: 4 }, context(logger));
  assert.equal(calls.length, 3);
  await searchHandler(fakeProvider('serpapi', calls), 10, cache, { ttlMs: 60_000 })(req, context(logger));
  assert.equal(calls.length, 4, 'another provider does not get the first one\'s cached results');
});

test('provider failures become RpcErrors with the provider named; they are logged, not cached', { timeout: 5000 }, async () => {
  const expected: Array<[SearchErrorCode, status]> = [
    ['SEARCH_ERR_KEY_REJECTED', status.FAILED_PRECONDITION],
    ['SEARCH_ERR_QUOTA', status.RESOURCE_EXHAUSTED],
    ['SEARCH_ERR_RATE_LIMITED', status.RESOURCE_EXHAUSTED],
    ['SEARCH_ERR_UNAVAILABLE', status.UNAVAILABLE],
    ['SEARCH_ERR_TIMEOUT', status.UNAVAILABLE],
    ['SEARCH_ERR_BAD_RESPONSE', status.UNAVAILABLE],
    ['SEARCH_ERR_REQUEST_REJECTED', status.INVALID_ARGUMENT],
    ['SEARCH_ERR_CANCELLED', status.CANCELLED],
  ];
  for (const [code, grpcStatus] of expected) {
    const calls: string[] = [];
    const { lines, logger } = capture();
    const fail = new SearchProviderError('serpapi', code, 'something (HTTP 429)', 429);
    const handler = searchHandler(fakeProvider('serpapi', calls, fail), 10, createCache<TopicPages>({ namespace: 't', maxEntries: 10, ttlMs: 60_000 }), { ttlMs: 60_000 });
    const req = { topic: 'gdp', limit: 5, offset: 0, reputable_only: false };
    await assert.rejects(handler(req, context(logger)), (err: unknown) => {
      assert.ok(err instanceof RpcError);
      assert.equal(err.grpcStatus, grpcStatus, code);
      assert.equal(err.code, code);
      assert.equal(err.message, 'serpapi: something (HTTP 429)');
      return true;
    });
    await assert.rejects(handler(req, context(logger)));
    assert.equal(calls.length, 2, 'a failure is not cached');
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'search provider failed');
    assert.equal(logged.length, 2);
    assert.equal(logged[0]?.['provider'], 'serpapi');
    assert.equal(logged[0]?.['code'], code);
    assert.equal(logged[0]?.['http_status'], 429);
  }
});

const KEY = 'grpc-test-serper-key-77c1';


function search(client: ResearchServiceClient, topic: string): Promise<SearchResponse__Output> {
  return new Promise((resolve, reject) => {
    client.Search({ topic, limit: 5, offset: 0, reputable_only: false }, { deadline: Date.now() + 5000 }, (err, res) => (err || !res ? reject(err) : resolve(res)));
  });
}

test('gRPC Search through the Serper provider: sources and provider name', { timeout: 15_000 }, async () => {
  await withResearchServer({ fakeKey: KEY }, async (client, fake) => {
    const results = blogResults(6);
    results[2] = { link: 'https://www.who.int/news/item/1', title: 'WHO news', snippet: 'Life expectancy rose to 73.4 years.' };
    fake.results.set('life expectancy', results);
    const res = await search(client, 'life expectancy');
    assert.equal(res.provider, 'serper');
    assert.equal(res.total, 6);
    assert.equal(res.sources.length, 5);
    assert.equal(res.sources[0]?.domain, 'who.int');
    assert.equal(res.sources[0]?.reputation_tier, 'intergovernmental');
    assert.deepEqual(res.sources.map((s) => s.position), [1, 2, 3, 4, 5]);
    assert.deepEqual(fake.problems, []);
  });
});

test('gRPC Search: a rejected key is FAILED_PRECONDITION and quota RESOURCE_EXHAUSTED, provider named, no key anywhere', { timeout: 15_000 }, async () => {
  const wrong = `${KEY}-revoked`;
  await withResearchServer({ fakeKey: KEY, apiKey: wrong }, async (client, _fake, logs) => {
    const err = (await search(client, 'gdp').then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    )) as ServiceError;
    assert.equal(err.code, status.FAILED_PRECONDITION);
    assert.equal(err.details, 'serper: API key rejected (HTTP 403); check SERPER_API_KEY');
    assert.ok(logs.length > 0 && logs.every((l) => !l.includes(wrong)), 'the key is not logged');
  });
  await withResearchServer({ fakeKey: KEY }, async (client, fake, logs) => {
    fake.script.push({ status: 400, body: JSON.stringify({ message: 'Not enough credits', statusCode: 400 }) });
    const err = (await search(client, 'gdp').then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    )) as ServiceError;
    assert.equal(err.code, status.RESOURCE_EXHAUSTED);
    assert.match(err.details, /^serper: quota exhausted/);
    assert.ok(logs.every((l) => !l.includes(KEY)));
  });
});
