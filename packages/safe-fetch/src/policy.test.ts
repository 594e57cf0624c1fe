import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FetchError, fetchFailureReason } from './errors.js';
import { checkUrl, defaultFetchPolicy, redactUrl, resolvePolicy } from './policy.js';

const T = { timeout: 5_000 };

test('defaultFetchPolicy has the documented defaults and is frozen', T, () => {
  assert.deepEqual(defaultFetchPolicy.allowedSchemes, ['http:', 'https:']);
  assert.equal(defaultFetchPolicy.maxBytes, 5 * 1024 * 1024);
  assert.equal(defaultFetchPolicy.maxRedirects, 5);
  assert.deepEqual(defaultFetchPolicy.allowedContentTypes, ['text/html', 'application/xhtml+xml', 'text/plain', 'text/markdown', 'application/pdf']);
  assert.ok(Object.isFrozen(defaultFetchPolicy));
  assert.ok(Object.isFrozen(defaultFetchPolicy.allowedContentTypes));
});

test('resolvePolicy overlays, normalizes and freezes', T, () => {
  const p = resolvePolicy({ maxBytes: 10, allowedContentTypes: [' Text/HTML '], timeoutMs: undefined });
  assert.equal(p.maxBytes, 10);
  assert.equal(p.timeoutMs, defaultFetchPolicy.timeoutMs, 'undefined keeps the default');
  assert.deepEqual(p.allowedContentTypes, ['text/html']);
  assert.ok(Object.isFrozen(p) && Object.isFrozen(p.allowedSchemes));
});

test('resolvePolicy refuses policies that cannot be right', T, () => {
  assert.throws(() => resolvePolicy({ allowedSchemes: [] }), TypeError);
  assert.throws(() => resolvePolicy({ allowedSchemes: ['ftp:' as 'http:'] }), TypeError);
  assert.throws(() => resolvePolicy({ maxBytes: 0 }), RangeError);
  assert.throws(() => resolvePolicy({ timeoutMs: -1 }), RangeError);
  assert.throws(() => resolvePolicy({ connectTimeoutMs: 1.5 }), RangeError);
  assert.throws(() => resolvePolicy({ maxRedirects: -1 }), RangeError);
  assert.throws(() => resolvePolicy({ allowedContentTypes: [] }), TypeError);
  assert.throws(() => resolvePolicy({ userAgent: 'a\r\nX-Injected: 1' }), TypeError);
  assert.equal(resolvePolicy({ maxRedirects: 0 }).maxRedirects, 0);
});

const p = resolvePolicy();
const REFUSED: Array<[string, string]> = [
  ['ftp://example.org/', 'FETCH_ERR_SCHEME'],
  ['file:///etc/passwd', 'FETCH_ERR_SCHEME'],
  ['javascript:alert(1)', 'FETCH_ERR_SCHEME'],
  ['data:text/plain,x', 'FETCH_ERR_SCHEME'],
  ['ws://example.org/', 'FETCH_ERR_SCHEME'],
  ['http://user@example.org/', 'FETCH_ERR_CREDENTIALS'],
  ['http://:pw@example.org/', 'FETCH_ERR_CREDENTIALS'],
  ['https://user:pw@example.org/', 'FETCH_ERR_CREDENTIALS'],
  ['not a url', 'FETCH_ERR_INVALID_URL'],
  ['//example.org/', 'FETCH_ERR_INVALID_URL'],
  ['http://', 'FETCH_ERR_INVALID_URL'],
  ['http://exa mple.org/', 'FETCH_ERR_INVALID_URL'],
];
for (const [url, code] of REFUSED) {
  test(`checkUrl refuses ${url}`, T, () => {
    assert.throws(
      () => checkUrl(url, p),
      (err) => err instanceof FetchError && err.code === code && !err.url.includes('pw'),
    );
  });
}

test('checkUrl parses with WHATWG URL, resolving against a base', T, () => {
  assert.equal(checkUrl('HTTP://Example.ORG:80/a/../b', p).href, 'http://example.org/b');
  assert.equal(checkUrl('/c?d=1', p, new URL('https://example.org/a/b')).href, 'https://example.org/c?d=1');
  assert.throws(
    () => checkUrl('http://0x7f000001/', p),
    (err) => err instanceof FetchError && err.code === 'FETCH_ERR_ADDRESS' && err.url === 'http://127.0.0.1/' && err.category === 'loopback',
    'hosts are normalized, then judged as addresses',
  );
  assert.equal(checkUrl('https://example.org/', resolvePolicy({ allowedSchemes: ['https:'] })).protocol, 'https:');
});

test('redactUrl hides credentials', T, () => {
  assert.equal(redactUrl('http://user:secret@example.org/x'), 'http://***@example.org/x');
  assert.equal(redactUrl(new URL('http://example.org/x')), 'http://example.org/x');
  assert.equal(redactUrl('not a url'), 'not a url');
});

test('FetchError carries code, url, status, cause; fetchFailureReason names it', T, () => {
  const cause = new Error('root');
  const err = new FetchError('FETCH_ERR_HTTP_STATUS', 'http://x/', 'HTTP status 404', { status: 404, cause });
  assert.equal(err.name, 'FetchError');
  assert.equal(err.message, 'safe-fetch: HTTP status 404');
  assert.deepEqual([err.code, err.url, err.status, err.cause], ['FETCH_ERR_HTTP_STATUS', 'http://x/', 404, cause]);
  assert.ok(!('status' in new FetchError('FETCH_ERR_TIMEOUT', 'u', 'm')));
  assert.equal(fetchFailureReason(err), 'fetch_http_status');
  assert.equal(fetchFailureReason(new FetchError('FETCH_ERR_TOO_LARGE', 'u', 'm')), 'fetch_too_large');
  assert.equal(fetchFailureReason(new Error('x')), 'fetch_failed');
});
