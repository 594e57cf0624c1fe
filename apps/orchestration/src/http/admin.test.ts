import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ApiKeyRegistry, createApiKey, createAuthenticator, requireScope } from '@stats-agent/auth';
import { hashTopic, normalizeEvent, type AuditEvent } from '@stats-agent/audit';
import { createLogger } from '@stats-agent/logging';
import type { ForgetRequest, VerifyRequest, VerifyResponse__Output } from '@stats-agent/proto';
import { createPgliteDriver, RunStore, type Driver } from '@stats-agent/store';
import type { Agents } from '../workflow.js';
import { createAdminRouter, type AdminAgents } from './admin.js';
import { createHttpApp } from './app.js';

const T = { timeout: 30_000 };
const quiet = createLogger({ service: 'test', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const day = new Date(Date.now() + 86_400_000);
const admin = createApiKey({ id: 'ops-admin', scopes: ['stats:admin'], expiresAt: day });
const reader = createApiKey({ id: 'reader', scopes: ['stats:read'], expiresAt: day });
const searcher = createApiKey({ id: 'searcher', scopes: ['stats:search'], expiresAt: day });

type VerifyMode = 'verified' | 'not_verified' | 'unavailable';

/** The agents the admin endpoints call, recording what they were asked. */
class FakeAgents implements AdminAgents {
  verifyMode: VerifyMode = 'verified';
  forgetMode: 'ok' | 'unavailable' = 'ok';
  readonly verified: VerifyRequest[] = [];
  readonly forgotten: string[][] = [];

  async verify(req: VerifyRequest): Promise<VerifyResponse__Output> {
    this.verified.push(req);
    if (this.verifyMode === 'unavailable') throw Object.assign(new Error('14 UNAVAILABLE: down'), { code: status.UNAVAILABLE, details: 'down', metadata: {} });
    const ok = this.verifyMode === 'verified';
    return {
      results: (req.candidates ?? []).map((c) => ({
        candidate: { name: c.name ?? '', value: Number(c.value), unit: c.unit ?? '', source: c.source ?? '', source_url: c.source_url ?? '', excerpt: c.excerpt ?? '', period: c.period ?? '', relevance: 0 },
        verified: ok,
        reason: ok ? 'verified' : 'value_not_found',
        message: '',
        excerpt_start: ok ? 0 : null,
        excerpt_end: ok ? 5 : null,
        text_sha256: 'ab'.repeat(32),
        fetched_at: new Date().toISOString(),
        verifier_id: 'spiffe://td/ns/stats-agent/sa/verification',
      })),
    } as VerifyResponse__Output;
  }

  async forget(req: ForgetRequest): Promise<{ forgotten: number }> {
    if (this.forgetMode === 'unavailable') throw Object.assign(new Error('14 UNAVAILABLE: down'), { code: status.UNAVAILABLE, details: 'down', metadata: {} });
    this.forgotten.push([...(req.topics ?? [])]);
    return { forgotten: req.topics?.length ?? 0 };
  }
}

let driver: Driver;
let store: RunStore;
let server: Server;
let base: string;
const agents = new FakeAgents();
const audited: AuditEvent[] = [];

before(async () => {
  // One in-memory PGlite for the file (slow to start); the driver is kept to read every table's rows.
  driver = await createPgliteDriver({ memory: true });
  store = await RunStore.open(driver);
  const unused = (): Promise<never> => Promise.reject(new Error('not used by these tests'));
  const app = createHttpApp({
    agents: { search: unused, extract: unused, verify: unused } as Agents,
    logger: quiet,
    settings: { timeouts: { research: 2000, synthesis: 2000, verification: 2000 }, maxRounds: 1, sourcesPerRound: 1, requestTimeoutMs: 5000 },
    bodyLimitBytes: 4096,
    maxConcurrent: 4,
    edge: { authenticator: createAuthenticator({ apiKeys: ApiKeyRegistry.fromRecords([admin.record, reader.record, searcher.record]) }) },
    routers: [
      createAdminRouter({
        store,
        agents,
        timeouts: { research: 2000, verification: 2000 },
        guards: [requireScope('stats:admin')],
        audit: (e) => audited.push(e),
        hashSubject: (owner) => hashTopic(owner, 'test-audit-key'),
      }),
    ],
  });
  server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, { timeout: 90_000 });

after(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await store?.close();
});

async function call(method: string, path: string, key: string | null = admin.key): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, { method, headers: key ? { authorization: `Bearer ${key}` } : {}, signal: AbortSignal.timeout(20_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const errorCode = (body: Record<string, unknown>): unknown => (body['error'] as { code?: unknown } | undefined)?.code;

function candidate(n: number, topic: string) {
  return { name: `${topic} share ${n}`, value: 10 + n, unit: '%', source: `Publisher ${n}`, source_url: `https://example.org/${n}`, excerpt: `The ${topic} share was ${10 + n}%.`, period: '2024', relevance: 1 };
}

/** A run of `owner` on `topic` that went through a round; returns it still running under lease 'w'. */
async function runningRun(owner: string, topic: string) {
  const run = await store.createRun({ owner, workflowVersion: '1.1.0', input: { topic, min_verified_stats: 2, max_candidates: 30, reputable_only: false }, lease: { owner: 'w', ms: 60_000 } });
  await store.completeStep(run.id, 1, 'research', `${run.id}:1:research`, { sources: [{ url: 'https://example.org/1', title: topic }] });
  await store.appendEvent(run.id, 'progress', { stage: 'research', round: 1, topic_seen: topic });
  return run;
}

describe('admin endpoints', () => {
  test('every admin endpoint wants the stats:admin scope: 401 without a credential, 403 with read or search, one error shape', T, async () => {
    const paths: Array<[string, string]> = [
      ['GET', '/v1/admin/dlq'],
      ['GET', '/v1/admin/dlq/dlq_00000000-0000-0000-0000-000000000000'],
      ['POST', '/v1/admin/dlq/dlq_00000000-0000-0000-0000-000000000000/retry'],
      ['DELETE', '/v1/admin/dlq/dlq_00000000-0000-0000-0000-000000000000'],
      ['DELETE', '/v1/subjects/api_key%3Asomeone'],
    ];
    for (const [method, path] of paths) {
      const none = await call(method, path, null);
      assert.equal(none.status, 401, `${method} ${path}`);
      for (const key of [reader.key, searcher.key]) {
        const r = await call(method, path, key);
        assert.equal(r.status, 403, `${method} ${path}`);
        assert.equal(errorCode(r.body), 'insufficient_scope');
        assert.match(String((r.body['error'] as { message: string }).message), /stats:admin/);
      }
    }
    assert.equal((await call('GET', '/v1/admin/dlq')).status, 200, 'the admin key passes');
    assert.equal(audited.filter((e) => e.action === 'subject.erased').length, 0, 'refused requests did nothing');
  });

  test('a run dead letter: listed with filters, shown with its run, retried once (the run is queued again), then 409; ids and queries validated', T, async () => {
    const run = await runningRun('api_key:dlq-owner', 'rail freight');
    const dl = await store.deadLetter({ kind: 'run', runId: run.id, lastError: 'research agent unavailable', context: { code: 'agent_unavailable', attempts: 3 } });
    assert.equal((await store.getRun(run.id))?.status, 'dead');

    const open = await call('GET', '/v1/admin/dlq?state=open&kind=run');
    assert.equal(open.status, 200);
    const letters = open.body['dead_letters'] as Array<Record<string, unknown>>;
    const mine = letters.find((l) => l['id'] === dl.id);
    assert.ok(mine, 'the open run letter is listed');
    assert.equal(mine['last_error'], 'research agent unavailable');
    assert.deepEqual(mine['context'], { code: 'agent_unavailable', attempts: 3 });
    assert.equal(((await call('GET', '/v1/admin/dlq?kind=item')).body['dead_letters'] as Array<{ id: string }>).some((l) => l.id === dl.id), false);
    const byRun = (await call('GET', `/v1/admin/dlq?run_id=${run.id}&limit=5`)).body['dead_letters'] as Array<{ id: string }>;
    assert.deepEqual(byRun.map((l) => l.id), [dl.id]);
    for (const q of ['state=bogus', 'kind=job', 'limit=0', 'limit=1001', 'limit=x', 'run_id=nope', 'owner=api_key:dlq-owner', 'sort=asc']) {
      const r = await call('GET', `/v1/admin/dlq?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(errorCode(r.body), 'invalid_query', q);
    }

    const shown = await call('GET', `/v1/admin/dlq/${dl.id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body['state'], 'open');
    assert.equal((shown.body['run'] as { status: string }).status, 'dead');
    assert.equal((await call('GET', '/v1/admin/dlq/not-an-id')).status, 400);
    assert.equal(errorCode((await call('GET', '/v1/admin/dlq/not-an-id')).body), 'invalid_path');
    const missing = await call('GET', '/v1/admin/dlq/dlq_00000000-0000-0000-0000-000000000000');
    assert.equal(missing.status, 404);
    assert.equal(errorCode(missing.body), 'not_found');

    const retried = await call('POST', `/v1/admin/dlq/${dl.id}/retry`);
    assert.equal(retried.status, 200);
    assert.equal(retried.body['outcome'], 'requeued');
    assert.equal((retried.body['dead_letter'] as { state: string }).state, 'retried');
    const requeued = await store.getRun(run.id);
    assert.equal(requeued?.status, 'queued', 'the sweeper picks it up from here');
    assert.equal(requeued?.attempts, 0);

    for (const [method, path] of [['POST', `/v1/admin/dlq/${dl.id}/retry`], ['DELETE', `/v1/admin/dlq/${dl.id}`]] as const) {
      const again = await call(method, path);
      assert.equal(again.status, 409, `${method} on a letter no longer open`);
      assert.equal(errorCode(again.body), 'conflict');
      assert.match(String((again.body['error'] as { message: string }).message), /already retried/);
    }
    const record = audited.find((e) => e.action === 'dlq.retried' && e.resource === `dlq:${dl.id}`);
    assert.deepEqual(record?.actor, { kind: 'api_key', id: 'ops-admin' }, 'the admin is the actor');
    assert.equal(record?.detail?.['then'], 'requeued');
    await store.finishRun(run.id, 'cancelled');
  });

  test('an item dead letter of a succeeded run is verified again: a verifier that is down leaves it open; verified, it joins the run result', T, async () => {
    const topic = 'tidal energy';
    const run = await runningRun('jwt:analyst-7', topic);
    const good = candidate(1, topic);
    const poison = candidate(2, topic);
    await store.upsertItems(run.id, 1, [{ key: 'k-good', candidate: good }, { key: 'k-poison', candidate: poison }]);
    await store.markItems(run.id, [{ key: 'k-good', status: 'processing' }, { key: 'k-poison', status: 'processing' }]);
    await store.markItems(run.id, [{ key: 'k-good', status: 'verified' }]);
    const dl = await store.deadLetter({ kind: 'item', runId: run.id, itemKey: 'k-poison', lastError: 'the verification agent failed (INTERNAL)', context: { stage: 'verification', round: 1 } });
    const stat = { name: good.name, value: good.value, unit: '%', source: good.source, source_url: good.source_url, excerpt: good.excerpt, verified: true, date_found: new Date().toISOString(), corroborated: false, corroborated_by: [] };
    await store.finishRun(run.id, 'succeeded', {
      result: { topic, statistics: [stat], total_candidates: 2, verified_count: 1, failed_count: 1, timestamp: new Date().toISOString(), partial: true, target_count: 2, stop_reason: 'sources_exhausted' },
      leaseOwner: 'w',
    });

    // A retry while the run was still running would be refused; here: the verifier is down.
    agents.verifyMode = 'unavailable';
    const down = await call('POST', `/v1/admin/dlq/${dl.id}/retry`);
    assert.equal(down.status, 503);
    assert.equal(errorCode(down.body), 'agent_unavailable');
    assert.equal((await store.getDeadLetter(dl.id))?.state, 'open', 'nothing changed: it can be retried later');

    agents.verifyMode = 'verified';
    const ok = await call('POST', `/v1/admin/dlq/${dl.id}/retry`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body['outcome'], 'verified');
    assert.equal(ok.body['result_amended'], true);
    assert.equal(agents.verified.at(-1)?.candidates?.length, 1, 'the one candidate, alone');
    assert.equal(agents.verified.at(-1)?.candidates?.[0]?.excerpt, poison.excerpt);
    const item = (await store.itemsOf(run.id)).find((i) => i.key === 'k-poison');
    assert.equal(item?.status, 'verified');
    const result = (await store.getRun(run.id))?.result as { statistics: Array<{ excerpt: string; verification?: { status: string } }>; verified_count: number; failed_count: number; partial: boolean };
    assert.equal(result.verified_count, 2);
    assert.equal(result.failed_count, 0);
    assert.equal(result.partial, false, 'the target of 2 is reached now');
    assert.deepEqual(result.statistics.map((s) => s.excerpt), [good.excerpt, poison.excerpt]);
    assert.equal(result.statistics[1]?.verification?.status, 'verified');
    assert.equal((await call('POST', `/v1/admin/dlq/${dl.id}/retry`)).status, 409);
    assert.deepEqual(
      audited.filter((e) => e.resource === `dlq:${dl.id}`).map((e) => [e.outcome, e.detail?.['then']]),
      [['failure', 'still_failing'], ['success', 'verified']],
    );
  });

  test('an item that still does not verify is marked failed and the result stays; an item of a running run is refused; drop closes a letter', T, async () => {
    const run = await runningRun('jwt:analyst-8', 'wave energy');
    await store.upsertItems(run.id, 1, [{ key: 'k1', candidate: candidate(1, 'wave energy') }, { key: 'k2', candidate: candidate(2, 'wave energy') }]);
    const dl1 = await store.deadLetter({ kind: 'item', runId: run.id, itemKey: 'k1', lastError: 'INTERNAL' });
    const dl2 = await store.deadLetter({ kind: 'item', runId: run.id, itemKey: 'k2', lastError: 'INTERNAL' });

    const busy = await call('POST', `/v1/admin/dlq/${dl1.id}/retry`);
    assert.equal(busy.status, 409);
    assert.match(String((busy.body['error'] as { message: string }).message), /still executing/);

    const result = { topic: 'wave energy', statistics: [], total_candidates: 2, verified_count: 0, failed_count: 2, timestamp: new Date().toISOString(), partial: true, target_count: 2, stop_reason: 'sources_exhausted' };
    await store.finishRun(run.id, 'succeeded', { result, leaseOwner: 'w' });
    agents.verifyMode = 'not_verified';
    const r = await call('POST', `/v1/admin/dlq/${dl1.id}/retry`);
    assert.equal(r.status, 200);
    assert.equal(r.body['outcome'], 'not_verified');
    assert.equal(r.body['result_amended'], false);
    assert.equal((await store.itemsOf(run.id)).find((i) => i.key === 'k1')?.status, 'failed');
    assert.deepEqual((await store.getRun(run.id))?.result, result, 'the result is unchanged');

    const dropped = await call('DELETE', `/v1/admin/dlq/${dl2.id}`);
    assert.equal(dropped.status, 200);
    assert.equal((dropped.body['dead_letter'] as { state: string }).state, 'dropped');
    assert.equal((await call('DELETE', `/v1/admin/dlq/${dl2.id}`)).status, 409);
    assert.equal(audited.find((e) => e.action === 'dlq.dropped' && e.resource === `dlq:${dl2.id}`)?.actor.id, 'ops-admin');
    agents.verifyMode = 'verified';
  });

  test('erasure deletes every row of the subject, has the topics forgotten, is idempotent, and the audit trail holds no subject text', T, async () => {
    const subject = 'jwt:quokka-researcher|7f3a';
    const topics = ['quokka population density', 'Quokka tourism revenue'];
    const secretValue = 'quokka-secret-result-9921';
    const runs = [await runningRun(subject, topics[0] ?? ''), await runningRun(subject, topics[1] ?? ''), await runningRun(subject, topics[0] ?? '')];
    await store.upsertItems(runs[0]?.id ?? '', 1, [{ key: 'qk1', candidate: candidate(1, 'quokka') }]);
    await store.upsertItems(runs[1]?.id ?? '', 1, [{ key: 'qk2', candidate: candidate(2, 'quokka') }]);
    await store.deadLetter({ kind: 'item', runId: runs[1]?.id ?? '', itemKey: 'qk2', lastError: 'quokka candidate refused', context: { topic: topics[1] } });
    await store.finishRun(runs[0]?.id ?? '', 'succeeded', { result: { topic: topics[0], note: secretValue }, leaseOwner: 'w' });
    await store.deadLetter({ kind: 'run', runId: runs[2]?.id ?? '', lastError: 'quokka run kept failing' });
    const bystander = await runningRun('api_key:bystander', 'wombat burrows');

    const encoded = encodeURIComponent(subject);
    const erased = await call('DELETE', `/v1/subjects/${encoded}`);
    assert.equal(erased.status, 200);
    assert.deepEqual(erased.body['erased'], { runs: 3, steps: 3, items: 2, events: 3, dead_letters: 2 });
    assert.deepEqual(erased.body['cache'], { topics: 2, reached: true, forgotten: 2 });
    assert.deepEqual(agents.forgotten.at(-1)?.sort(), [...topics].sort(), 'the research agent was asked to forget the topics the runs searched');

    const { rows: tables } = await driver.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`);
    assert.ok(tables.length >= 6);
    for (const { table_name } of tables) {
      const { rows } = await driver.query(`SELECT t::text AS row FROM "${String(table_name)}" t`);
      for (const { row } of rows) {
        for (const needle of [subject, 'quokka', 'Quokka', secretValue]) assert.ok(!String(row).includes(needle), `${String(table_name)} still holds "${needle}"`);
      }
    }
    assert.equal((await store.getRun(bystander.id))?.owner, 'api_key:bystander', 'another subject is untouched');

    const forgetCalls = agents.forgotten.length;
    const again = await call('DELETE', `/v1/subjects/${encoded}`);
    assert.equal(again.status, 200, 'erasing again is not an error');
    assert.deepEqual(again.body['erased'], { runs: 0, steps: 0, items: 0, events: 0, dead_letters: 0 });
    assert.deepEqual(again.body['cache'], { topics: 0, reached: true, forgotten: 0 });
    assert.equal(agents.forgotten.length, forgetCalls, 'no Forget call with nothing to forget');
    const never = await call('DELETE', '/v1/subjects/api_key%3Anever-seen');
    assert.equal(never.status, 200, 'a subject that never existed: 200 with zero counts, not 404');

    const records = audited.filter((e) => e.action === 'subject.erased');
    assert.equal(records.length, 3);
    for (const e of records) {
      const normalized = JSON.stringify(normalizeEvent(e, 'test-audit-key'));
      for (const needle of [subject, 'quokka', 'Quokka', 'researcher', 'never-seen']) assert.ok(!normalized.includes(needle), `the audit record holds "${needle}"`);
      assert.deepEqual(e.actor, { kind: 'api_key', id: 'ops-admin' });
    }
    assert.equal(records[0]?.resource, `subject:${hashTopic(subject, 'test-audit-key')}`, 'the subject appears only as a keyed hash, linkable by whoever holds the key');
    assert.equal(records[0]?.detail?.['runs'], 3);
    await store.finishRun(bystander.id, 'cancelled');
  });

  test('erasure reports an unreachable research agent instead of failing; bad subject ids are 400', T, async () => {
    const subject = 'api_key:cache-down-subject';
    await runningRun(subject, 'platypus habitats');
    agents.forgetMode = 'unavailable';
    try {
      const r = await call('DELETE', `/v1/subjects/${encodeURIComponent(subject)}`);
      assert.equal(r.status, 200);
      assert.equal((r.body['erased'] as { runs: number }).runs, 1, 'the store is erased all the same');
      const cache = r.body['cache'] as { reached: boolean; topics: number; error: string };
      assert.equal(cache.reached, false);
      assert.equal(cache.topics, 1);
      assert.match(cache.error, /research agent is unavailable/);
      assert.equal(audited.at(-1)?.detail?.['cache'], 'unreachable');
    } finally {
      agents.forgetMode = 'ok';
    }
    for (const bad of ['dev', 'user%3Ax', '%20', 'api_key%3Aa%0Ab', `api_key%3A${'x'.repeat(600)}`]) {
      const r = await call('DELETE', `/v1/subjects/${bad}`);
      assert.equal(r.status, 400, bad);
      assert.equal(errorCode(r.body), 'invalid_path');
    }
    assert.equal((await call('DELETE', '/v1/subjects/api_key%3Ax?force=1')).status, 400);
  });
});
