import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ApiKeyRegistry, createApiKey, createAuthenticator, createRateLimiter, requireScope } from '@stats-agent/auth';
import { createLogger } from '@stats-agent/logging';
import express from 'express';
import { Counter, Registry } from 'prom-client';
import type { Agents } from '../workflow.js';
import { createHttpApp } from './app.js';

// The edge through the real app: authentication, scopes, rate limits, CORS, logs.
const lines: Array<Record<string, unknown>> = [];
const logger = createLogger({
  service: 'test',
  destination: new Writable({
    write: (chunk: Buffer, _e, cb) => {
      for (const l of chunk.toString('utf8').split('\n')) if (l.startsWith('{')) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  }),
});

const agents: Agents = {
  async search() {
    return { sources: [], total: 0, provider: 'local' };
  },
  async extract() {
    return { candidates: [], sources: [] };
  },
  async verify() {
    return { results: [] };
  },
};

const day = new Date(Date.now() + 86_400_000);
const searcher = createApiKey({ id: 'searcher', scopes: ['stats:search'], expiresAt: day });
const reader = createApiKey({ id: 'reader', scopes: ['stats:read'], expiresAt: day });
const admin = createApiKey({ id: 'admin', scopes: ['stats:admin'], expiresAt: day });
const limited = createApiKey({ id: 'limited', scopes: ['stats:search'], expiresAt: day });
const expired = createApiKey({ id: 'expired', scopes: ['stats:search'], expiresAt: new Date(Date.now() + 1) });

const servers: Server[] = [];
const registry = new Registry();
const failures = new Counter({ name: 'test_auth_failures_total', help: 'x', labelNames: ['reason', 'status'] as const, registers: [registry] });
let base: string;
let tight: string;

async function start(perMinute: number, burst: number, corsOrigins: string[] = []): Promise<string> {
  // A stand-in for the lead's routers: a GET that needs stats:read and one that needs stats:admin.
  const extra = express.Router();
  extra.get('/v1/things', requireScope('stats:read'), (_req, res) => {
    res.json({ ok: true });
  });
  extra.get('/v1/admin/things', requireScope('stats:admin'), (_req, res) => {
    res.json({ ok: true });
  });
  const app = createHttpApp({
    agents,
    logger,
    bodyLimitBytes: 2048,
    maxConcurrent: 4,
    settings: { timeouts: { research: 1000, synthesis: 1000, verification: 1000 }, maxRounds: 1, sourcesPerRound: 5, requestTimeoutMs: 5000 },
    edge: {
      authenticator: createAuthenticator({ apiKeys: ApiKeyRegistry.fromRecords([searcher.record, reader.record, admin.record, limited.record, expired.record]) }),
      limiter: createRateLimiter({ perMinute, burst }),
    },
    authFailures: failures,
    corsOrigins,
    routers: [extra],
  });
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  base = await start(60_000, 1000, ['https://app.example.com']);
  tight = await start(6, 1);
});
after(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
});

const body = JSON.stringify({ topic: 'solar', min_verified_stats: 1 });
async function call(path: string, headers: Record<string, string>, at = base, method = 'POST') {
  const res = await fetch(`${at}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(method === 'POST' ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as { error?: { code: string; message: string; request_id: string } } };
}

describe('the public edge', { timeout: 20_000 }, () => {
  test('401 with a Bearer challenge and the one error shape when no credential is sent, on every path', async () => {
    for (const path of ['/v1/orchestrate', '/orchestrate', '/v1/verify', '/v1/things', '/no/such/path']) {
      const r = await call(path, {}, base, path.includes('things') || path.includes('no/such') ? 'GET' : 'POST');
      assert.equal(r.status, 401, path);
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="stats-agent"');
      assert.equal(r.body.error?.code, 'auth_required');
      assert.ok(r.body.error?.request_id);
      assert.ok(r.headers.get('ratelimit-limit'), 'rate-limit headers on refusals too');
    }
  });

  test('an expired or forged key is 401 invalid_token; the log names the key id and reason, never the key', async () => {
    lines.length = 0;
    const forged = `sk_searcher_${'Z'.repeat(43)}`;
    for (const [key, reason] of [[forged, 'bad_secret'], [expired.key, 'expired']] as const) {
      const r = await call('/v1/orchestrate', { authorization: `Bearer ${key}` });
      assert.equal(r.status, 401);
      assert.equal(r.body.error?.code, 'invalid_token');
      assert.match(r.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      const line = lines.find((l) => l['msg'] === 'request refused at the edge' && l['reason'] === reason);
      assert.ok(line, `logged ${reason}`);
      assert.equal(line?.['key_id'], key === forged ? 'searcher' : 'expired');
    }
    const all = JSON.stringify(lines);
    assert.ok(!all.includes('Z'.repeat(43)) && !all.includes(expired.key), 'no credential in any log line');
    const metric = await registry.getSingleMetricAsString('test_auth_failures_total');
    assert.match(metric, /reason="bad_secret",status="401"\} [1-9]/);
  });

  test('scopes: search may orchestrate and verify, read may not (403); read and admin may GET; only admin reaches admin', async () => {
    assert.equal((await call('/v1/orchestrate', { 'x-api-key': searcher.key })).status, 200);
    const denied = await call('/v1/orchestrate', { 'x-api-key': reader.key });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error?.code, 'insufficient_scope');
    assert.match(denied.headers.get('www-authenticate') ?? '', /error="insufficient_scope", error_description="[^"]+", scope="stats:search"/);
    assert.equal((await call('/v1/verify', { 'x-api-key': reader.key })).status, 403);
    assert.equal((await call('/v1/things', { 'x-api-key': reader.key }, base, 'GET')).status, 200);
    assert.equal((await call('/v1/things', { 'x-api-key': searcher.key }, base, 'GET')).status, 403);
    assert.equal((await call('/v1/admin/things', { 'x-api-key': reader.key }, base, 'GET')).status, 403);
    assert.equal((await call('/v1/admin/things', { 'x-api-key': admin.key }, base, 'GET')).status, 200);
    assert.equal((await call('/v1/orchestrate', { authorization: `Bearer ${admin.key}` })).status, 200, 'admin implies search');
    // A request that authenticates is still validated: unknown fields refused.
    const bad = await fetch(`${base}/v1/orchestrate`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': searcher.key }, body: '{"topic":"x","admin":true}' });
    assert.equal(bad.status, 400);
  });

  test('429 with Retry-After and RateLimit headers once a key has used its bucket', async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 3; i++) {
      last = await call('/v1/orchestrate', { 'x-api-key': limited.key }, tight);
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.equal(last?.body.error?.code, 'rate_limited');
    assert.match(last?.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.equal(last?.headers.get('ratelimit-remaining'), '0');
    assert.equal(last?.headers.get('ratelimit-policy'), '1;w=10, 2;w=10');
    // Another key is not affected.
    assert.equal((await call('/v1/orchestrate', { 'x-api-key': searcher.key }, tight)).status, 200);
  });

  test('CORS: only the configured origin gets CORS headers; its preflight is answered before authentication', async () => {
    const pre = await fetch(`${base}/v1/orchestrate`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.equal(pre.headers.get('access-control-allow-credentials'), null);
    const evilPre = await fetch(`${base}/v1/orchestrate`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(evilPre.status, 403);
    assert.equal(evilPre.headers.get('access-control-allow-origin'), null);
    const ok = await call('/v1/orchestrate', { 'x-api-key': searcher.key, origin: 'https://app.example.com' });
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.match(ok.headers.get('access-control-expose-headers') ?? '', /ratelimit-remaining/);
    const evil = await call('/v1/orchestrate', { 'x-api-key': searcher.key, origin: 'https://evil.example' });
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    // Without CORS_ORIGINS there are no CORS headers at all.
    const none = await call('/v1/orchestrate', { 'x-api-key': searcher.key, origin: 'https://app.example.com' }, tight);
    assert.equal(none.headers.get('access-control-allow-origin'), null);
  });

  test('helmet headers on every answer, refusals included', async () => {
    const r = await call('/v1/orchestrate', {});
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(r.headers.get('content-security-policy'));
    assert.equal(r.headers.get('x-powered-by'), null);
  });
});
