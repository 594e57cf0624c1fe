// The Extract handler with the rule-based extractor and the page cache, against a local page server.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createCache } from '@stats-agent/cache';
import { createLogger } from '@stats-agent/logging';
import type { CallContext } from '@stats-agent/rpc';
import { PageFetcher } from '@stats-agent/safe-fetch';
import type { PageText } from '@stats-agent/text';
import { extractHandler } from './extract.js';

const T = { timeout: 20_000 };
const hits = new Map<string, number>();
let server: Server;
let base = '';
let fetcher: PageFetcher;

before(async () => {
  server = createServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    if (req.url === '/wind.html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<main><h1>Wind</h1><p>Wind supplied 18.2% of electricity in 2023.</p></main>');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  fetcher = new PageFetcher({ allow: [`127.0.0.1:${port}`], timeoutMs: 2_000, maxBytes: 100_000 });
});

after(async () => {
  await fetcher.close();
  await new Promise((r) => server.close(r));
});

const ctx = (): CallContext => ({
  requestId: 't',
  logger: createLogger({ service: 'test', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
  caller: undefined,
  signal: new AbortController().signal,
  remainingMs: () => undefined,
});

const source = (path: string) => ({
  url: `${base}${path}`, title: '', snippet: '', domain: '127.0.0.1', position: 1, score: 1, reputation_tier: 'other', publisher: 'Energy Office', publisher_domain: '',
});

describe('Extract with the page cache', T, () => {
  test('a page cited again is read from the cache; a failed one is fetched again', T, async () => {
    const pages = createCache<PageText>({ namespace: 'test:page', ttlMs: 60_000, maxEntries: 10 });
    const handler = extractHandler({ fetcher, pages, concurrency: 2, maxPerPage: 10 });
    const req = { topic: 'wind electricity', sources: [source('/wind.html'), source('/missing.html')], max_candidates: 0 };
    const first = await handler(req, ctx());
    const second = await handler(req, ctx());
    assert.deepEqual(second, first);
    assert.equal(first.candidates?.[0]?.value, 18.2);
    assert.deepEqual(first.sources?.map((s) => [s.fetched, s.reason]), [[true, ''], [false, 'fetch_http_status']]);
    assert.equal(hits.get('/wind.html'), 1, 'fetched once, then from the cache');
    assert.equal(hits.get('/missing.html'), 2, 'failures are not cached');
  });
});
