import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express, { type NextFunction, type Request, type Response } from 'express';
import { ApiKeyRegistry, createApiKey } from './api-keys.js';
import { createAuthenticator } from './authenticator.js';
import { bearerChallenge, EdgeError } from './errors.js';
import { clientBucket, createEdgeMiddleware, failureFields, principalOf, requireScope } from './middleware.js';
import { createRateLimiter } from './rate-limit.js';

const inDays = (d: number) => new Date(Date.now() + d * 86_400_000);
const searcher = createApiKey({ id: 'searcher', scopes: ['stats:search'], expiresAt: inDays(1), name: 'Search bot' });
const reader = createApiKey({ id: 'reader', scopes: ['stats:read'], expiresAt: inDays(1) });
const admin = createApiKey({ id: 'admin', scopes: ['stats:admin'], expiresAt: inDays(1) });
const stingy = createApiKey({ id: 'stingy', scopes: ['stats:search'], expiresAt: inDays(1) });

const servers: Server[] = [];
let base: string;
let tight: string;
const failures: Array<Record<string, string | number>> = [];

async function startApp(perMinute: number, burst: number): Promise<string> {
  const app = express();
  const authenticator = createAuthenticator({ apiKeys: ApiKeyRegistry.fromRecords([searcher.record, reader.record, admin.record, stingy.record]) });
  app.use(createEdgeMiddleware({ authenticator, limiter: createRateLimiter({ perMinute, burst }) }));
  app.get('/search', requireScope('stats:search'), (_req, res) => {
    res.json(principalOf(res));
  });
  app.get('/admin', requireScope('stats:admin'), (_req, res) => {
    res.json({ ok: true });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (!(err instanceof EdgeError)) {
      res.status(500).json({ error: 'internal' });
      return;
    }
    failures.push(failureFields(err, res));
    for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
    res.status(err.status).json({ error: { code: err.code, message: err.message } });
  });
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  base = await startApp(6000, 100);
  // 6/min → 1 per 10 s, burst 2: three requests at once per principal or address.
  tight = await startApp(6, 2);
});
after(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
});

async function get(path: string, headers: Record<string, string> = {}, at = base) {
  const res = await fetch(`${at}${path}`, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}
const code = (b: Record<string, unknown>) => (b['error'] as { code: string }).code;

describe('edge middleware', { timeout: 10_000 }, () => {
  test('a key as Bearer or X-API-Key authenticates; the principal is on res.locals', async () => {
    const r = await get('/search', { authorization: `Bearer ${searcher.key}` });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { id: 'searcher', kind: 'api_key', scopes: ['stats:search'], subject: 'Search bot' });
    assert.equal((await get('/search', { 'x-api-key': searcher.key })).status, 200);
    assert.equal((await get('/search', { authorization: `bearer  ${searcher.key}` })).status, 200, 'scheme is case-insensitive');
    assert.ok(r.headers.get('ratelimit-limit'));
    assert.ok(r.headers.get('ratelimit-remaining'));
    assert.ok(r.headers.get('ratelimit-policy'));
  });

  test('401 without a credential: a bare Bearer challenge, no error code (RFC 6750 §3.1)', async () => {
    const r = await get('/search');
    assert.equal(r.status, 401);
    assert.equal(code(r.body), 'auth_required');
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="stats-agent"');
  });

  test('401 invalid_token for a wrong, unknown or malformed credential; the key id is logged, never the key', async () => {
    failures.length = 0;
    const forged = `sk_searcher_${'A'.repeat(43)}`;
    for (const [headers, reason] of [
      [{ authorization: `Bearer ${forged}` }, 'bad_secret'],
      [{ authorization: `Bearer sk_ghost_${'B'.repeat(43)}` }, 'unknown_key'],
      [{ authorization: 'Bearer hunter2' }, 'malformed'],
      [{ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, 'unsupported_scheme'],
      [{ authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln' }, 'oidc_disabled'],
    ] as const) {
      const r = await get('/search', headers);
      assert.equal(r.status, 401, reason);
      assert.equal(code(r.body), 'invalid_token');
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm="stats-agent", error="invalid_token", error_description="[^"]+"$/);
      assert.equal(failures.at(-1)?.['reason'], reason);
    }
    assert.equal(failures[0]?.['key_id'], 'searcher');
    assert.ok(!JSON.stringify(failures).includes('AAAA'), 'no secret in the failure fields');
  });

  test('client addresses: IPv4 as is, IPv4-mapped as IPv4, IPv6 by its /64', () => {
    assert.equal(clientBucket('203.0.113.7'), '203.0.113.7');
    assert.equal(clientBucket('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(clientBucket('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
    assert.equal(clientBucket('2001:db8:1:2::99'), '2001:db8:1:2::/64');
    assert.equal(clientBucket('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(clientBucket('::1'), '0:0:0:0::/64');
    assert.equal(clientBucket('fe80::1:2:3:4'), 'fe80:0:0:0::/64');
  });

  test('a challenge never carries characters RFC 6750 forbids (quotes, backslash, non-ASCII)', () => {
    assert.equal(bearerChallenge('invalid_token', 'bad "x" \\ … é'), 'Bearer realm="stats-agent", error="invalid_token", error_description="bad ?x? ? ? ?"');
  });

  test('400 invalid_request when both Authorization and X-API-Key are sent', async () => {
    const r = await get('/search', { authorization: `Bearer ${searcher.key}`, 'x-api-key': searcher.key });
    assert.equal(r.status, 400);
    assert.match(r.headers.get('www-authenticate') ?? '', /error="invalid_request"/);
  });

  test('403 insufficient_scope for a valid key without the scope; admin holds every scope', async () => {
    const r = await get('/search', { 'x-api-key': reader.key });
    assert.equal(r.status, 403);
    assert.equal(code(r.body), 'insufficient_scope');
    assert.match(r.headers.get('www-authenticate') ?? '', /error="insufficient_scope".*scope="stats:search"/);
    assert.equal(failures.at(-1)?.['principal'], 'reader');
    assert.equal((await get('/search', { 'x-api-key': admin.key })).status, 200);
    assert.equal((await get('/admin', { 'x-api-key': admin.key })).status, 200);
    assert.equal((await get('/admin', { 'x-api-key': searcher.key })).status, 403);
  });

  test('429 with Retry-After once a principal has used its bucket; others are not affected', async () => {
    const statuses = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await get('/search', { 'x-api-key': stingy.key }, tight);
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    assert.equal(code(last?.body ?? {}), 'rate_limited');
    assert.match(last?.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.equal(last?.headers.get('ratelimit-remaining'), '0');
    assert.equal(failures.at(-1)?.['reason'], 'rate_limited');
    assert.equal((await get('/admin', { 'x-api-key': admin.key }, tight)).status, 200);
  });

  test('failed authentication is charged to the client address, so guessing is rate limited too', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await get('/search', { 'x-api-key': `sk_guess_${String(i).repeat(43)}` }, tight)).status);
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    // A valid key has its own bucket, whatever its address did.
    assert.equal((await get('/search', { 'x-api-key': searcher.key }, tight)).status, 200);
  });
});
