import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '@stats-agent/logging';
import type { CallContext } from '@stats-agent/rpc';
import { TtlCache } from '@stats-agent/runtime';
import type { LocalIndex } from '../local-index.js';
import { searchHandler, type SearchPage } from './search.js';

const logger = createLogger({ service: 't', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const ctx = { requestId: 'r', logger, caller: undefined, signal: new AbortController().signal, remainingMs: () => undefined } as CallContext;

test('results are cached per topic, flags and page; positions continue from the offset', { timeout: 5000 }, async () => {
  const calls: string[] = [];
  const index = {
    query(topic: string, offset: number, limit: number, reputable: boolean): SearchPage {
      calls.push(`${topic}|${offset}|${limit}|${reputable}`);
      const hit = { url: `http://h/${offset}`, title: 't', snippet: 's', domain: 'h', score: 1, reputation_tier: 'other', publisher: '', publisher_domain: '' };
      return { hits: [hit], total: 9 };
    },
  } as unknown as LocalIndex;
  const handler = searchHandler(index, 10, new TtlCache<string, SearchPage>({ maxEntries: 10, ttlMs: 60_000 }));
  const req = { topic: 'Solar  Power', limit: 0, offset: 3, reputable_only: false };
  const first = await handler(req, ctx);
  const again = await handler({ ...req, topic: 'solar power' }, ctx);
  assert.deepEqual(again, first);
  assert.equal(calls.length, 1, 'same topic modulo case and spaces is served from the cache');
  assert.equal(first.sources?.[0]?.position, 4);
  await handler({ ...req, reputable_only: true }, ctx);
  await handler({ ...req, offset: 4 }, ctx);
  assert.equal(calls.length, 3);
});
