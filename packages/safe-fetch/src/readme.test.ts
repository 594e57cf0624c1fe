import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { FetchError, PageFetcher, fetchFailureReason } from './index.js';
import type { FetchedPage } from './index.js';

// The example in README.md, against a local server.
test('README example', { timeout: 5_000 }, async () => {
  const server = createServer((req, res) => {
    if (req.url === '/report') res.writeHead(302, { location: '/final' }).end();
    else if (req.url === '/final') {
      res.writeHead(200, { 'content-type': 'text/html; charset=windows-1252' });
      res.end(Buffer.concat([Buffer.from('<p>'), Buffer.from([0x93]), Buffer.from('Solar'), Buffer.from([0x94]), Buffer.from(' grew 24%</p>')]));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signal = new AbortController().signal;

  const fetcher = new PageFetcher({ timeoutMs: 10_000, maxBytes: 2 * 1024 * 1024, allow: [new URL(base).host] });
  let page: FetchedPage | undefined;
  let caught: unknown;
  try {
    page = await fetcher.fetch(`${base}/report`, { signal });
    await fetcher.fetch(`${base}/missing`);
  } catch (err) {
    caught = err;
  } finally {
    await fetcher.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  assert.ok(page !== undefined, `first fetch failed: ${String(caught)}`);
  assert.deepEqual(
    { url: page.url, status: page.status, contentType: page.contentType, charset: page.charset, text: page.text, bytes: page.bytes },
    { url: `${base}/final`, status: 200, contentType: 'text/html', charset: 'windows-1252', text: '<p>\u201cSolar\u201d grew 24%</p>', bytes: 23 },
  );
  assert.ok(Buffer.isBuffer(page.body) && page.fetchedAt instanceof Date);
  assert.ok(caught instanceof FetchError && caught.code === 'FETCH_ERR_HTTP_STATUS' && caught.status === 404, String(caught));
  assert.equal(fetchFailureReason(caught), 'fetch_http_status');
});
