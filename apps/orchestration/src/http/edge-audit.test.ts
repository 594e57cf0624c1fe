import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AuditLog, verifyAudit, type AuditRecord } from '@stats-agent/audit';
import { ApiKeyRegistry, createApiKey, createAuthenticator, createRateLimiter, requireScope } from '@stats-agent/auth';
import { createLogger } from '@stats-agent/logging';
import express from 'express';
import type { Agents } from '../workflow.js';
import { createHttpApp } from './app.js';

// The edge's audit events through the real app and a real audit log on disk.
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

let dir: string;
let file: string;
let log: AuditLog;
let server: Server;
let base: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-audit-'));
  file = join(dir, 'audit.jsonl');
  log = await AuditLog.open({ file, fsync: 'never' });
  const extra = express.Router();
  extra.get('/v1/things', requireScope('stats:read'), (_req, res) => {
    res.json({ ok: true });
  });
  const app = createHttpApp({
    agents,
    logger: createLogger({ service: 'test', level: 'silent' }),
    bodyLimitBytes: 2048,
    maxConcurrent: 4,
    settings: { timeouts: { research: 1000, synthesis: 1000, verification: 1000 }, maxRounds: 1, sourcesPerRound: 5, requestTimeoutMs: 5000 },
    edge: {
      authenticator: createAuthenticator({ apiKeys: ApiKeyRegistry.fromRecords([searcher.record, reader.record]) }),
      // Two requests per key, then 429.
      limiter: createRateLimiter({ perMinute: 1, burst: 2 }),
    },
    routers: [extra],
    audit: (e) => log.record(e),
  });
  server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, { timeout: 10_000 });

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await log.close();
  await rm(dir, { recursive: true, force: true });
}, { timeout: 10_000 });

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers }).then(async (r) => (await r.arrayBuffer(), r.status));

describe('the edge audit trail', { timeout: 20_000 }, () => {
  test('success, failure, scope refusal and rate limiting are recorded with who, what and the request id — never a credential', async () => {
    const forged = `sk_searcher_${'Q'.repeat(43)}`;
    assert.equal(await get('/v1/things', { authorization: `Bearer ${reader.key}`, 'x-request-id': 'audit-ok-1' }), 200);
    assert.equal(await get('/v1/things', { authorization: `Bearer ${forged}`, 'x-request-id': 'audit-bad-1' }), 401);
    assert.equal(await get('/v1/things', { 'x-request-id': 'audit-none-1' }), 401);
    assert.equal(await get('/v1/things', { authorization: `Bearer ${searcher.key}`, 'x-request-id': 'audit-scope-1' }), 403);
    // Use up the searcher's bucket (its size is the limiter's business): the first refusal is 429.
    let status = 403;
    for (let i = 0; i < 20 && status === 403; i++) status = await get('/v1/things', { authorization: `Bearer ${searcher.key}`, 'x-request-id': 'audit-limit-1' });
    assert.equal(status, 429);
    // A path no resource pattern fits still gets its record.
    assert.equal(await get('/v1/th%20ings?x=1', { 'x-request-id': 'audit-odd-1' }), 401);
    await log.flush();

    const text = await readFile(file, 'utf8');
    const records = text.trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    const byId = (id: string, action?: string) => records.find((r) => r.request_id === id && (action === undefined || r.action === action));
    const pick = (r: AuditRecord | undefined) => r && { actor: r.actor, action: r.action, resource: r.resource, outcome: r.outcome, source_ip: r.source_ip, detail: r.detail };
    assert.deepEqual(pick(byId('audit-ok-1')), { actor: { kind: 'api_key', id: 'reader' }, action: 'auth.success', resource: 'http:GET:/v1/things', outcome: 'success', source_ip: '127.0.0.1', detail: undefined });
    assert.deepEqual(pick(byId('audit-bad-1')), {
      actor: { kind: 'api_key', id: 'searcher' },
      action: 'auth.failure',
      resource: 'http:GET:/v1/things',
      outcome: 'failure',
      source_ip: '127.0.0.1',
      detail: { reason: 'bad_secret', status: 401, credential_kind: 'api_key' },
    });
    assert.deepEqual(pick(byId('audit-none-1'))?.actor, { kind: 'anonymous', id: 'unknown' });
    assert.equal(byId('audit-none-1')?.action, 'auth.failure');
    // Authenticated, then refused by scope: both are recorded.
    assert.deepEqual(records.filter((r) => r.request_id === 'audit-scope-1').map((r) => r.action), ['auth.success', 'authz.denied']);
    assert.deepEqual(pick(byId('audit-scope-1', 'authz.denied')), {
      actor: { kind: 'api_key', id: 'searcher' },
      action: 'authz.denied',
      resource: 'http:GET:/v1/things',
      outcome: 'denied',
      source_ip: '127.0.0.1',
      detail: { reason: 'insufficient_scope', status: 403, credential_kind: 'api_key' },
    });
    const limited = records.filter((r) => r.request_id === 'audit-limit-1' && r.action === 'rate_limit.exceeded');
    assert.equal(limited.length, 1);
    assert.deepEqual(pick(limited[0]), { actor: { kind: 'api_key', id: 'searcher' }, action: 'rate_limit.exceeded', resource: 'http:GET:/v1/things', outcome: 'denied', source_ip: '127.0.0.1', detail: { reason: 'rate_limited', status: 429 } });
    assert.equal(byId('audit-odd-1')?.resource, 'http:GET:other');
    assert.ok(!text.includes(reader.key) && !text.includes(searcher.key) && !text.includes('Q'.repeat(43)), 'no credential in the trail');
    const v = await verifyAudit({ file }, { firstSegment: true });
    assert.equal(v.ok, true, JSON.stringify(v.problems));
  });
});
