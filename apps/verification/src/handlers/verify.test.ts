import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '@stats-agent/logging';
import type { CallContext } from '@stats-agent/rpc';
import { PageFetcher } from '@stats-agent/safe-fetch';
import { makePdf } from '@stats-agent/text/testing';
import { verifyHandler } from './verify.js';

const T = { timeout: 20_000 };
const SENTENCE = 'Solar provided 12.5% of electricity in 2023.';
const VERIFIER = 'spiffe://stats-agent.local/ns/stats-agent/sa/verification';

const hits = new Map<string, number>();
let server: Server;
let base = '';
let fetcher: PageFetcher;

before(async () => {
  const pdf = makePdf([['Annual energy report', '', SENTENCE]]);
  server = createServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    const send = (type: string, body: string | Buffer) => res.writeHead(200, { 'content-type': type }).end(body);
    switch (req.url) {
      case '/page.html':
        return send('text/html; charset=utf-8', `<main><p>${SENTENCE.replace('12.5%', '<b>12.5%</b>')}</p></main>`);
      case '/malformed.html':
        return send('text/html', `<main><p>${SENTENCE}<div><table><tr><td>unclosed <b><i>`);
      case '/report.pdf':
        return send('application/pdf', pdf);
      case '/broken.pdf':
        return send('application/pdf', Buffer.from('%PDF-1.7\n1 0 obj <<< broken'));
      case '/binary.txt':
        return send('text/plain', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]));
      case '/image.png':
        return send('image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      case '/huge.html':
        return send('text/html', `<p>${'x'.repeat(300_000)}</p>`);
      case '/slow.html':
        return void setTimeout(() => send('text/html', `<p>${SENTENCE}</p>`), 3_000);
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  // The test server is the one private address this fetcher may reach.
  fetcher = new PageFetcher({ allow: [`127.0.0.1:${port}`], timeoutMs: 1_000, maxBytes: 100_000 });
});

after(async () => {
  await fetcher.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function ctx(): CallContext {
  return {
    requestId: 'test',
    logger: createLogger({ service: 'test', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
    caller: undefined,
    signal: new AbortController().signal,
    remainingMs: () => undefined,
  };
}

const candidate = (path: string, excerpt = SENTENCE, value = 12.5) => ({
  name: 'Solar share',
  value,
  unit: '%',
  source: 'Energy Office',
  source_url: path.startsWith('http') ? path : `${base}${path}`,
  excerpt,
  period: '2023',
  relevance: 0,
});

describe('verification handler against real pages', T, () => {
  test('every kind of page gets a verdict with a machine-readable reason; nothing throws or hangs', T, async () => {
    const handler = verifyHandler({ fetcher, concurrency: 4, verifierId: () => VERIFIER });
    const port = new URL(base).port;
    const cases: [string, string, boolean][] = [
      ['/page.html', 'verified', true],
      ['/malformed.html', 'verified', true],
      ['/report.pdf', 'verified', true],
      ['/broken.pdf', 'source_unreadable', false],
      ['/binary.txt', 'source_unreadable', false],
      ['/image.png', 'source_unreadable', false],
      ['/huge.html', 'source_unreadable', false],
      ['/slow.html', 'source_unreachable', false],
      ['/missing', 'source_unreachable', false],
      // Loopback, but not the allowed host:port: refused before any connection.
      [`http://127.0.0.2:${port}/page.html`, 'source_refused', false],
    ];
    const results = (await handler({ candidates: cases.map(([path]) => candidate(path)) }, ctx())).results ?? [];
    assert.deepEqual(
      results.map((r) => `${(r.candidate?.source_url ?? '').replace(base, '')} ${r.reason}`),
      cases.map(([path, reason]) => `${path} ${reason}`),
    );
    for (const [i, r] of results.entries()) {
      assert.equal(r.verified, cases[i]?.[2]);
      assert.equal(r.verifier_id, VERIFIER);
      assert.ok(r.fetched_at);
      if (!r.verified) assert.ok((r.message ?? '').length > 0);
    }
    assert.match(results[3]?.message ?? '', /page_malformed/);
    assert.match(results[4]?.message ?? '', /page_binary/);
    assert.match(results[6]?.message ?? '', /fetch_too_large/);
    assert.match(results[7]?.message ?? '', /fetch_timeout/);
    const pdf = results[2];
    assert.ok(pdf?.excerpt_start !== undefined && pdf.text_sha256?.length === 64, 'offsets and hash for a PDF too');
  });

  test('each source is fetched once per batch, however many candidates cite it', T, async () => {
    const handler = verifyHandler({ fetcher, concurrency: 2, verifierId: () => VERIFIER });
    hits.clear();
    const { results = [] } = await handler(
      {
        candidates: [
          candidate('/report.pdf'),
          candidate('/report.pdf', SENTENCE, 14),
          candidate('/report.pdf', 'Solar provided 99% of electricity in 2023.'),
          candidate('/page.html'),
        ],
      },
      ctx(),
    );
    assert.deepEqual(results.map((r) => r.reason), ['verified', 'value_mismatch', 'excerpt_not_found', 'verified']);
    assert.equal(hits.get('/report.pdf'), 1);
    assert.equal(hits.get('/page.html'), 1);
  });
});
