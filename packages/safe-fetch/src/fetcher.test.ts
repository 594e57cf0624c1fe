import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { FetchError, PageFetcher } from './index.js';
import type { Connector, FetchPolicy } from './index.js';

const T = { timeout: 10_000 };

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Local {
  base: string;
  /** TCP connections accepted so far. */
  connections: () => number;
  /** Request headers, by path, as received. */
  seen: Map<string, IncomingHttpHeaders>;
  close: () => Promise<void>;
}

/** A server on 127.0.0.1, port 0, counting connections. Always close it. */
async function listen(routes: Record<string, Handler>): Promise<Local> {
  let connections = 0;
  const seen = new Map<string, IncomingHttpHeaders>();
  const server = createServer((req, res) => {
    seen.set(req.url ?? '', req.headers);
    const route = routes[req.url ?? ''];
    if (route === undefined) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    else route(req, res);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    connections: () => connections,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `host:port` of a local server, the allow-list entry that opens exactly it. */
const hostOf = (l: Local): string => new URL(l.base).host;

/**
 * Runs `body` with a server and a fetcher allowed to reach exactly that server (and `also`),
 * and closes both whatever happens.
 */
async function withServer(
  routes: Record<string, Handler>,
  policy: Partial<FetchPolicy>,
  body: (s: Local, f: PageFetcher) => Promise<void>,
  also: Local[] = [],
): Promise<void> {
  const s = await listen(routes);
  const f = new PageFetcher({ ...policy, allow: [s, ...also].map(hostOf) });
  try {
    await body(s, f);
  } finally {
    await f.close();
    await s.close();
  }
}

async function failure(p: Promise<unknown>): Promise<FetchError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof FetchError, `expected a FetchError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the fetch to fail');
}

const pick = (p: { text: string; charset: string }): [string, string] => [p.text, p.charset];

const html = (body: string, type = 'text/html; charset=utf-8'): Handler => (_req, res) => res.writeHead(200, { 'content-type': type }).end(body);

test('fetches a page and sends the policy User-Agent and Accept', T, () =>
  withServer({ '/': html('<p>Solar: 24%</p>') }, { userAgent: 'test-agent/1' }, async (s, f) => {
    const page = await f.fetch(`${s.base}/`);
    assert.equal(page.url, `${s.base}/`);
    assert.equal(page.status, 200);
    assert.equal(page.contentType, 'text/html');
    assert.equal(page.charset, 'utf-8');
    assert.equal(page.text, '<p>Solar: 24%</p>');
    assert.ok(Buffer.isBuffer(page.body));
    assert.equal(page.bytes, 17);
    assert.ok(Math.abs(page.fetchedAt.getTime() - Date.now()) < 5_000);
    const headers = s.seen.get('/');
    assert.equal(headers?.['user-agent'], 'test-agent/1');
    assert.match(headers?.accept ?? '', /text\/html/);
  }));

test('follows a chain of redirects (relative and absolute, 301/302/303/307/308)', T, () =>
  withServer(
    {
      '/a': (_q, r) => r.writeHead(301, { location: '/b' }).end(),
      '/b': (_q, r) => r.writeHead(302, { location: 'c' }).end(),
      '/c': (_q, r) => r.writeHead(303, { location: '/d?x=1' }).end('moved'),
      '/d?x=1': (q, r) => r.writeHead(307, { location: `http://${q.headers.host ?? ''}/e` }).end(),
      '/e': (_q, r) => r.writeHead(308, { location: '/final' }).end(),
      '/final': html('done'),
    },
    { maxRedirects: 5 },
    async (s, f) => {
      const page = await f.fetch(`${s.base}/a`);
      assert.equal(page.url, `${s.base}/final`);
      assert.equal(page.text, 'done');
    },
  ));

test('refuses more redirects than maxRedirects, and exactly maxRedirects is fine', T, () =>
  withServer(
    {
      '/1': (_q, r) => r.writeHead(302, { location: '/2' }).end(),
      '/2': (_q, r) => r.writeHead(302, { location: '/3' }).end(),
      '/3': (_q, r) => r.writeHead(302, { location: '/ok' }).end(),
      '/ok': html('ok'),
    },
    { maxRedirects: 2 },
    async (s, f) => {
      const err = await failure(f.fetch(`${s.base}/1`));
      assert.equal(err.code, 'FETCH_ERR_REDIRECTS');
      assert.equal(err.url, `${s.base}/3`);
      assert.equal((await f.fetch(`${s.base}/2`)).url, `${s.base}/ok`);
    },
  ));

test('re-checks every redirect target: scheme, credentials, validity', T, () =>
  withServer(
    {
      '/ftp': (_q, r) => r.writeHead(302, { location: 'ftp://127.0.0.1/file' }).end(),
      '/file': (_q, r) => r.writeHead(302, { location: 'file:///etc/passwd' }).end(),
      '/creds': (q, r) => r.writeHead(302, { location: `http://user:secret@${q.headers.host ?? ''}/ok` }).end(),
      '/bad': (_q, r) => r.writeHead(302, { location: 'http://[::1' }).end(),
      '/none': (_q, r) => r.writeHead(302).end(),
      '/ok': html('ok'),
    },
    {},
    async (s, f) => {
      assert.equal((await failure(f.fetch(`${s.base}/ftp`))).code, 'FETCH_ERR_SCHEME');
      assert.equal((await failure(f.fetch(`${s.base}/file`))).code, 'FETCH_ERR_SCHEME');
      const creds = await failure(f.fetch(`${s.base}/creds`));
      assert.equal(creds.code, 'FETCH_ERR_CREDENTIALS');
      assert.ok(!creds.url.includes('secret'), 'the password is not reported');
      assert.equal((await failure(f.fetch(`${s.base}/bad`))).code, 'FETCH_ERR_INVALID_URL');
      const none = await failure(f.fetch(`${s.base}/none`));
      assert.equal(none.code, 'FETCH_ERR_HTTP_STATUS');
      assert.equal(none.status, 302);
      assert.equal(s.seen.has('/ok'), false, 'no refused target was requested');
    },
  ));

test('refuses URLs before connecting: credentials, schemes, invalid URLs', T, async () => {
  const s = await listen({ '/': html('x') });
  const f = new PageFetcher({ allowedSchemes: ['https:'], allow: [hostOf(s)] });
  try {
    const creds = await failure(new PageFetcher().fetch(`http://user:secret@${s.base.slice(7)}/`));
    assert.equal(creds.code, 'FETCH_ERR_CREDENTIALS');
    assert.ok(!creds.url.includes('secret'));
    assert.equal((await failure(f.fetch(`${s.base}/`))).code, 'FETCH_ERR_SCHEME', 'http refused by an https-only policy');
    for (const url of ['ftp://127.0.0.1/', 'file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,hi', 'gopher://127.0.0.1/']) {
      assert.equal((await failure(f.fetch(url))).code, 'FETCH_ERR_SCHEME', url);
    }
    for (const url of ['not a url', '/relative', '', 'http://']) {
      assert.equal((await failure(f.fetch(url))).code, 'FETCH_ERR_INVALID_URL', url);
    }
    assert.equal(s.connections(), 0);
  } finally {
    await f.close();
    await s.close();
  }
});

test('refuses a body whose Content-Length exceeds maxBytes without reading it', T, () => {
  let closed = false;
  return withServer(
    {
      '/big': (_q, r) => {
        r.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(10 * 1024 * 1024) });
        r.write('x'.repeat(1024));
        r.on('close', () => (closed = true));
        // Never finishes on its own: only the client closing ends it.
      },
    },
    { maxBytes: 1024 * 1024 },
    async (s, f) => {
      const err = await failure(f.fetch(`${s.base}/big`));
      assert.equal(err.code, 'FETCH_ERR_TOO_LARGE');
      await waitFor(() => closed);
    },
  );
});

test('stops reading a chunked body as soon as it passes maxBytes', T, () => {
  let sent = 0;
  let closed = false;
  return withServer(
    {
      '/endless': (_q, r) => {
        r.writeHead(200, { 'content-type': 'text/plain' });
        const timer = setInterval(() => {
          r.write('y'.repeat(4096));
          sent += 4096;
        }, 2);
        r.on('close', () => {
          clearInterval(timer);
          closed = true;
        });
      },
    },
    { maxBytes: 64 * 1024 },
    async (s, f) => {
      const err = await failure(f.fetch(`${s.base}/endless`));
      assert.equal(err.code, 'FETCH_ERR_TOO_LARGE');
      await waitFor(() => closed);
      assert.ok(sent < 10 * 1024 * 1024, `the server stopped early (sent ${sent} bytes)`);
    },
  );
});

test('times out on a server that never answers, and on one that stalls mid-body', T, () =>
  withServer(
    {
      '/silent': () => {
        // Never answers.
      },
      '/stall': (_q, r) => {
        r.writeHead(200, { 'content-type': 'text/plain' });
        r.write('partial');
      },
    },
    { timeoutMs: 300 },
    async (s, f) => {
      for (const path of ['/silent', '/stall']) {
        const started = Date.now();
        const err = await failure(f.fetch(`${s.base}${path}`));
        assert.equal(err.code, 'FETCH_ERR_TIMEOUT', path);
        assert.ok(Date.now() - started < 3_000, `${path} gave up near the deadline`);
      }
    },
  ));

test('refuses content types outside the allowlist and a missing one; accepts parameters and case', T, () =>
  withServer(
    {
      '/png': html('x', 'image/png'),
      '/json': html('{}', 'application/json'),
      '/none': (_q, r) => r.writeHead(200).end('untyped'),
      '/upper': html('ok', 'Text/HTML; Charset=UTF-8'),
      '/md': html('# T', 'text/markdown; charset=utf-8'),
    },
    {},
    async (s, f) => {
      assert.equal((await failure(f.fetch(`${s.base}/png`))).code, 'FETCH_ERR_CONTENT_TYPE');
      assert.equal((await failure(f.fetch(`${s.base}/json`))).code, 'FETCH_ERR_CONTENT_TYPE');
      assert.equal((await failure(f.fetch(`${s.base}/none`))).code, 'FETCH_ERR_CONTENT_TYPE');
      assert.equal((await f.fetch(`${s.base}/upper`)).contentType, 'text/html');
      assert.equal((await f.fetch(`${s.base}/md`)).contentType, 'text/markdown');
    },
  ));

test('PDF bodies are kept as bytes with no text', T, () =>
  withServer({ '/doc.pdf': html('%PDF-1.7 …', 'application/pdf') }, {}, async (s, f) => {
    const page = await f.fetch(`${s.base}/doc.pdf`);
    assert.equal(page.contentType, 'application/pdf');
    assert.equal(page.text, '');
    assert.equal(page.charset, '');
    assert.equal(page.body.subarray(0, 5).toString('latin1'), '%PDF-');
  }));

test('non-2xx statuses are FETCH_ERR_HTTP_STATUS with the status', T, () =>
  withServer(
    {
      '/gone': (_q, r) => r.writeHead(410, { 'content-type': 'text/html' }).end('gone'),
      '/error': (_q, r) => r.writeHead(500).end(),
    },
    {},
    async (s, f) => {
      const missing = await failure(f.fetch(`${s.base}/missing`));
      assert.deepEqual([missing.code, missing.status, missing.url], ['FETCH_ERR_HTTP_STATUS', 404, `${s.base}/missing`]);
      assert.equal((await failure(f.fetch(`${s.base}/gone`))).status, 410);
      assert.equal((await failure(f.fetch(`${s.base}/error`))).status, 500);
    },
  ));

test('decodes charsets: header, meta tag, BOM, default UTF-8', T, () =>
  withServer(
    {
      '/latin1': (_q, r) => r.writeHead(200, { 'content-type': 'text/plain; charset=iso-8859-1' }).end(Buffer.from('Café 25 °C', 'latin1')),
      '/quoted': (_q, r) => r.writeHead(200, { 'content-type': 'text/html; charset="windows-1252"' }).end(Buffer.from([0x93, 0x41, 0x94, 0x20, 0x80])),
      '/http-equiv': (_q, r) =>
        r
          .writeHead(200, { 'content-type': 'text/html' })
          .end(Buffer.concat([Buffer.from('<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"><p>'), Buffer.from([0xe9, 0x96]), Buffer.from('</p>')])),
      '/bom': (_q, r) => r.writeHead(200, { 'content-type': 'text/plain; charset=windows-1252' }).end(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('né', 'utf16le')])),
      '/default': (_q, r) => r.writeHead(200, { 'content-type': 'text/plain' }).end(Buffer.from('naïve “quote”', 'utf8')),
      '/unknown': (_q, r) => r.writeHead(200, { 'content-type': 'text/plain; charset=x-no-such' }).end(Buffer.from('ok é', 'utf8')),
    },
    {},
    async (s, f) => {
      const latin1 = await f.fetch(`${s.base}/latin1`);
      assert.deepEqual([latin1.text, latin1.charset, latin1.bytes], ['Café 25 °C', 'windows-1252', 10]);
      assert.deepEqual(pick(await f.fetch(`${s.base}/quoted`)), ['\u201cA\u201d \u20ac', 'windows-1252']);
      assert.deepEqual(pick(await f.fetch(`${s.base}/http-equiv`)), ['<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"><p>é–</p>', 'windows-1252']);
      assert.deepEqual(pick(await f.fetch(`${s.base}/bom`)), ['né', 'utf-16le']);
      assert.deepEqual(pick(await f.fetch(`${s.base}/default`)), ['naïve “quote”', 'utf-8']);
      assert.deepEqual(pick(await f.fetch(`${s.base}/unknown`)), ['ok é', 'utf-8']);
    },
  ));

test('decodes gzip and brotli bodies and caps the decoded size (compression bombs)', T, () =>
  withServer(
    {
      '/gz': (_q, r) => r.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end(gzipSync('<p>zipped 42%</p>')),
      '/br': (_q, r) => r.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'br' }).end(brotliCompressSync('<p>brotli</p>')),
      '/bomb': (_q, r) => r.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(50 * 1024 * 1024))),
      '/zstd': (_q, r) => r.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'zstd' }).end('??'),
      '/corrupt': (_q, r) => r.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end('not gzip at all'),
    },
    { maxBytes: 1024 * 1024 },
    async (s, f) => {
      assert.equal((await f.fetch(`${s.base}/gz`)).text, '<p>zipped 42%</p>');
      assert.equal((await f.fetch(`${s.base}/br`)).text, '<p>brotli</p>');
      assert.match(s.seen.get('/gz')?.['accept-encoding'] ?? '', /gzip/);
      assert.equal((await failure(f.fetch(`${s.base}/bomb`))).code, 'FETCH_ERR_TOO_LARGE');
      assert.equal((await failure(f.fetch(`${s.base}/zstd`))).code, 'FETCH_ERR_CONTENT_TYPE');
      assert.equal((await failure(f.fetch(`${s.base}/corrupt`))).code, 'FETCH_ERR_NETWORK');
    },
  ));

test("honours the caller's AbortSignal, before and during the fetch", T, () =>
  withServer({ '/silent': () => undefined }, { timeoutMs: 5_000 }, async (s, f) => {
    const before = new AbortController();
    before.abort(new Error('not wanted'));
    const early = await failure(f.fetch(`${s.base}/silent`, { signal: before.signal }));
    assert.equal(early.code, 'FETCH_ERR_NETWORK');
    assert.equal(s.connections(), 0, 'an aborted signal never connects');

    const during = new AbortController();
    const started = Date.now();
    setTimeout(() => during.abort(), 50);
    const late = await failure(f.fetch(`${s.base}/silent`, { signal: during.signal }));
    assert.equal(late.code, 'FETCH_ERR_NETWORK');
    assert.equal((late.cause as Error).name, 'AbortError');
    assert.ok(Date.now() - started < 2_000, 'the abort did not wait for the timeout');
  }));

test('never goes through a proxy from HTTP_PROXY / HTTPS_PROXY', T, async () => {
  const proxy = await listen({});
  const saved = { HTTP_PROXY: process.env.HTTP_PROXY, http_proxy: process.env.http_proxy, HTTPS_PROXY: process.env.HTTPS_PROXY };
  process.env.HTTP_PROXY = proxy.base;
  process.env.http_proxy = proxy.base;
  process.env.HTTPS_PROXY = proxy.base;
  try {
    // The proxy is allowed too, so a fetcher that used it would reach it.
    await withServer({ '/': html('direct') }, {}, async (s, f) => {
      assert.equal((await f.fetch(`${s.base}/`)).text, 'direct');
    }, [proxy]);
    assert.equal(proxy.connections(), 0);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await proxy.close();
  }
});

test('sends caller headers to the origin asked for, not to another origin after a redirect', T, async () => {
  const other = await listen({ '/there': html('there') });
  try {
    await withServer({ '/here': (_q, r) => r.writeHead(302, { location: `${other.base}/there` }).end(), '/same': html('same') }, {}, async (s, f) => {
      await f.fetch(`${s.base}/same`, { headers: { 'Accept-Language': 'en', Authorization: 'Bearer t' } });
      assert.equal(s.seen.get('/same')?.authorization, 'Bearer t');
      assert.equal(s.seen.get('/same')?.['accept-language'], 'en');
      await f.fetch(`${s.base}/here`, { headers: { Authorization: 'Bearer t' } });
      assert.equal(s.seen.get('/here')?.authorization, 'Bearer t');
      assert.equal(other.seen.get('/there')?.authorization, undefined);
      await assert.rejects(f.fetch(`${s.base}/same`, { headers: { Host: 'evil.example' } }), TypeError);
      await assert.rejects(f.fetch(`${s.base}/same`, { headers: { 'Proxy-Authorization': 'x' } }), TypeError);
    }, [other]);
  } finally {
    await other.close();
  }
});

test('every connection goes through the policy, then the dial hook with the checked address', T, async () => {
  const sentinel = await listen({ '/': html('must not be reached') });
  const dialled: string[] = [];
  const refuse: Connector = (opts, callback) => {
    dialled.push(`${opts.hostname}:${opts.port}`);
    callback(new Error('dial refused by the test connector'), null);
  };
  const allowed = new PageFetcher({ allow: [hostOf(sentinel)] }, { dial: refuse });
  const refused = new PageFetcher({}, { dial: refuse });
  try {
    const err = await failure(allowed.fetch(`${sentinel.base}/`));
    assert.equal(err.code, 'FETCH_ERR_NETWORK');
    assert.deepEqual(dialled, [hostOf(sentinel)]);
    assert.equal((await failure(refused.fetch(`${sentinel.base}/`))).code, 'FETCH_ERR_ADDRESS');
    assert.equal(dialled.length, 1, 'a refused address never reaches the dial hook');
    assert.equal(sentinel.connections(), 0);
  } finally {
    await allowed.close();
    await refused.close();
    await sentinel.close();
  }
});

test('a refused connection is FETCH_ERR_NETWORK; a closed fetcher refuses to fetch', T, async () => {
  const s = await listen({});
  const port = new URL(s.base).port;
  await s.close();
  const f = new PageFetcher({ connectTimeoutMs: 1_000, allow: [`127.0.0.1:${port}`] });
  const err = await failure(f.fetch(`http://127.0.0.1:${port}/`));
  assert.equal(err.code, 'FETCH_ERR_NETWORK');
  await f.close();
  await f.close();
  assert.equal((await failure(f.fetch(`http://127.0.0.1:${port}/`))).code, 'FETCH_ERR_NETWORK');
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
