import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { FetchError, PageFetcher, fetchFailureReason } from './index.js';

let server: Server;
let base: string;
const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/ok': (_q, r) => r.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<p>42% of pages</p>'),
  '/r1': (_q, r) => r.writeHead(302, { location: '/r2' }).end(),
  '/r2': (_q, r) => r.writeHead(301, { location: `${base}/ok` }).end(),
  '/loop': (_q, r) => r.writeHead(302, { location: '/loop' }).end(),
  '/ftp': (_q, r) => r.writeHead(302, { location: 'ftp://127.0.0.1/file' }).end(),
  '/creds': (_q, r) => r.writeHead(302, { location: 'http://user:pw@127.0.0.1/ok' }).end(),
  '/big-declared': (_q, r) => r.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5000' }).end('x'.repeat(5000)),
  '/big-chunked': (_q, r) => {
    r.writeHead(200, { 'content-type': 'text/plain' });
    for (let i = 0; i < 10; i++) r.write('y'.repeat(1000));
    r.end();
  },
  '/slow': (_q, r) => {
    r.writeHead(200, { 'content-type': 'text/plain' });
    r.write('partial');
    setTimeout(() => r.end('late'), 2000).unref();
  },
  '/json': (_q, r) => r.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
  '/untyped': (_q, r) => {
    r.removeHeader('content-type');
    r.writeHead(200).end('no type');
  },
  '/missing': (_q, r) => r.writeHead(404, { 'content-type': 'text/plain' }).end('nope'),
  '/latin1': (_q, r) => r.writeHead(200, { 'content-type': 'text/plain; charset=ISO-8859-1' }).end(Buffer.from([0x63, 0x61, 0x66, 0xe9])),
  '/meta': (_q, r) => r.writeHead(200, { 'content-type': 'text/html' }).end(Buffer.concat([Buffer.from('<meta charset="windows-1252"><p>'), Buffer.from([0x93, 0x71, 0x94]), Buffer.from('</p>')])),
};

before(async () => {
  server = createServer((req, res) => (routes[req.url ?? ''] ?? routes['/missing'])?.(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    assert.ok(err instanceof FetchError, `not a FetchError: ${String(err)}`);
    return err.code;
  }
}

describe('PageFetcher', { timeout: 20_000 }, () => {
  let fetcher: PageFetcher;
  // Loopback is refused unless allowed: allow exactly this test's server.
  before(() => {
    fetcher = new PageFetcher({ maxBytes: 4096, timeoutMs: 800, maxRedirects: 3, allow: [new URL(base).host] });
  });
  after(() => fetcher.close());

  test('fetches a page with its type, charset, bytes and time', async () => {
    const page = await fetcher.fetch(`${base}/ok`);
    assert.equal(page.status, 200);
    assert.equal(page.contentType, 'text/html');
    assert.equal(page.charset, 'utf-8');
    assert.equal(page.text, '<p>42% of pages</p>');
    assert.equal(page.bytes, page.body.length);
    assert.ok(page.fetchedAt instanceof Date);
  });

  test('follows a redirect chain and reports the final URL', async () => {
    assert.equal((await fetcher.fetch(`${base}/r1`)).url, `${base}/ok`);
  });

  test('refuses too many redirects, redirects to other schemes and credentials', async () => {
    assert.equal(await code(fetcher.fetch(`${base}/loop`)), 'FETCH_ERR_REDIRECTS');
    assert.equal(await code(fetcher.fetch(`${base}/ftp`)), 'FETCH_ERR_SCHEME');
    assert.equal(await code(fetcher.fetch(`${base}/creds`)), 'FETCH_ERR_CREDENTIALS');
    assert.equal(await code(fetcher.fetch(`http://user:pw@127.0.0.1:1/`)), 'FETCH_ERR_CREDENTIALS');
    assert.equal(await code(fetcher.fetch('file:///etc/passwd')), 'FETCH_ERR_SCHEME');
    assert.equal(await code(fetcher.fetch('not a url')), 'FETCH_ERR_INVALID_URL');
  });

  test('refuses bodies over the cap, by Content-Length and while streaming', async () => {
    assert.equal(await code(fetcher.fetch(`${base}/big-declared`)), 'FETCH_ERR_TOO_LARGE');
    assert.equal(await code(fetcher.fetch(`${base}/big-chunked`)), 'FETCH_ERR_TOO_LARGE');
  });

  test('gives up on a slow server at the deadline', async () => {
    const started = Date.now();
    assert.equal(await code(fetcher.fetch(`${base}/slow`)), 'FETCH_ERR_TIMEOUT');
    assert.ok(Date.now() - started < 1900);
  });

  test('refuses content types outside the allowlist, and a missing one', async () => {
    assert.equal(await code(fetcher.fetch(`${base}/json`)), 'FETCH_ERR_CONTENT_TYPE');
    assert.equal(await code(fetcher.fetch(`${base}/untyped`)), 'FETCH_ERR_CONTENT_TYPE');
  });

  test('non-2xx is an HTTP status error carrying the status', async () => {
    await assert.rejects(fetcher.fetch(`${base}/missing`), (err) => err instanceof FetchError && err.code === 'FETCH_ERR_HTTP_STATUS' && err.status === 404);
    assert.equal(fetchFailureReason(new FetchError('FETCH_ERR_HTTP_STATUS', 'u', 'm')), 'fetch_http_status');
    assert.equal(fetchFailureReason(new Error('x')), 'fetch_failed');
  });

  test('decodes the declared charset, or the one in a meta tag', async () => {
    const latin1 = await fetcher.fetch(`${base}/latin1`);
    assert.equal(latin1.text, 'café');
    assert.equal(latin1.charset, 'windows-1252', 'ISO-8859-1 is read as windows-1252, as browsers do');
    const meta = await fetcher.fetch(`${base}/meta`);
    assert.equal(meta.charset, 'windows-1252');
    assert.match(meta.text, /\u201cq\u201d/);
  });

  test("honours the caller's abort signal", async () => {
    const ac = new AbortController();
    const p = fetcher.fetch(`${base}/slow`, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    assert.equal(await code(p), 'FETCH_ERR_NETWORK');
  });
});
