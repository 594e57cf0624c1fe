import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createAuthenticator } from '@stats-agent/auth';
import { createLogger } from '@stats-agent/logging';
import type { CandidateStatistic__Output } from '@stats-agent/proto';
import type { NextFunction, Request, Response as ExpressResponse } from 'express';
import { RunService, type Execute } from '../runs.js';
import { openStore, type RunStore } from '@stats-agent/store';
import { postgresForTests } from '@stats-agent/store/testing';
import type { AuditEvent } from '@stats-agent/audit';
import { orchestrate, type Agents } from '../workflow.js';
import { createHttpApp } from './app.js';
import { createRunsRouter, ownerOf } from './runs.js';

const T = { timeout: 15_000 };
const quiet = createLogger({ service: 'test', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

/** Agents whose extract waits for `gate` to open, so a test can watch a run while it runs. */
function gatedAgents() {
  let open: () => void = () => undefined;
  let gate = new Promise<void>((r) => (open = r));
  const agents: Agents = {
    async search(req) {
      const offset = req.offset ?? 0;
      const sources = offset >= 4 ? [] : [0, 1].map((i) => ({
        url: `http://127.0.0.1:1/p${offset + i}`, title: '', snippet: '', domain: '127.0.0.1', position: offset + i + 1, score: 1,
        reputation_tier: 'other', publisher: '', publisher_domain: '',
      }));
      return { sources, total: 4, provider: 'local' };
    },
    async extract(req, cs) {
      // Like a gRPC call, it ends early when its signal aborts.
      await new Promise<void>((resolve, reject) => {
        void gate.then(resolve);
        cs.signal?.addEventListener('abort', () => reject(Object.assign(new Error('1 CANCELLED'), { code: 1, details: 'Cancelled', metadata: {} })), { once: true });
      });
      const candidates: CandidateStatistic__Output[] = (req.sources ?? []).map((s) => ({
        name: 'n', value: 1, unit: '%', source: 's', source_url: s.url ?? '', excerpt: `Value 1% at ${s.url}.`, period: '2024', relevance: 1,
      }));
      return { candidates, sources: [] };
    },
    async verify(req) {
      return {
        results: (req.candidates ?? []).map((c) => ({
          candidate: { name: c.name ?? '', value: Number(c.value), unit: c.unit ?? '', source: c.source ?? '', source_url: c.source_url ?? '', excerpt: c.excerpt ?? '', period: c.period ?? '', relevance: 0 },
          verified: true, reason: 'verified', message: '', text_sha256: '', fetched_at: '', verifier_id: 'spiffe://td/v',
        })),
      };
    },
  };
  return {
    agents,
    release: () => open(),
    rearm: (): void => {
      gate = new Promise<void>((r) => (open = r));
    },
  };
}

const settings = { timeouts: { research: 2000, synthesis: 5000, verification: 2000 }, maxRounds: 3, sourcesPerRound: 2, requestTimeoutMs: 10_000 };

let store: RunStore;
before(async () => {
  store = await openStore({ memory: true });
}, { timeout: 60_000 });
after(() => store?.close());

const executeWith =
  (agents: Agents): Execute =>
  (input, version, hooks) =>
    orchestrate(input, agents, {
      ...settings,
      requestId: hooks.runId,
      signal: hooks.signal,
      deadline: Date.now() + 10_000,
      ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
      ...(hooks.steps ? { steps: hooks.steps } : {}),
      ...(hooks.onItems ? { onItems: hooks.onItems } : {}),
      ...(hooks.onPoison ? { onPoison: hooks.onPoison } : {}),
    });

function serviceFor(agents: Agents, opts: { maxActive?: number; instanceId?: string; leaseMs?: number; maxAttempts?: number; audit?: (e: AuditEvent) => void } = {}): RunService {
  return new RunService({
    store,
    logger: quiet,
    execute: executeWith(agents),
    instanceId: opts.instanceId ?? 'test-instance',
    defaultVersion: '1.0.0',
    maxActive: opts.maxActive ?? 4,
    leaseMs: opts.leaseMs ?? 30_000,
    sweepMs: 100,
    maxAttempts: opts.maxAttempts ?? 3,
    pollMs: 50,
    ...(opts.audit ? { audit: opts.audit } : {}),
  });
}

async function listen(runs: RunService, agents: Agents): Promise<{ server: Server; base: string }> {
  // The principal comes from a header here; the real edge puts the authenticated one there.
  const fakeAuth = (req: Request, res: ExpressResponse, next: NextFunction): void => {
    const who = req.get('x-test-principal');
    if (who) res.locals['principal'] = { kind: 'api_key', id: who, scopes: [] };
    next();
  };
  const app = createHttpApp({
    agents,
    logger: quiet,
    settings,
    bodyLimitBytes: 4096,
    maxConcurrent: 4,
    edge: { authenticator: createAuthenticator({ anonymous: true }) },
    routers: [createRunsRouter({ runs, bodyLimitBytes: 4096, ownerOf, guards: { create: [fakeAuth], read: [fakeAuth] }, heartbeatMs: 50 })],
  });
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const post = (base: string, body: unknown, who = 'alice') =>
  fetch(`${base}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-principal': who }, body: JSON.stringify(body) });
const get = (base: string, path: string, who = 'alice', headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers: { 'x-test-principal': who, ...headers } });

/** Parses a whole SSE body into events. */
function parseSse(text: string): { id: string; event: string; data: Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .filter((block) => block.includes('data:'))
    .map((block) => {
      const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
      return { id: field('id'), event: field('event'), data: JSON.parse(field('data')) as Record<string, unknown> };
    });
}

describe('runs API', T, () => {
  const gated = gatedAgents();
  let runs: RunService;
  let base = '';
  let server: Server;
  before(async () => {
    runs = serviceFor(gated.agents);
    ({ server, base } = await listen(runs, gated.agents));
  });
  after(async () => {
    gated.release();
    await runs.drain(1000);
    await new Promise((r) => server.close(r));
  });

  test('a run is accepted with 202, streams its progress, and ends with the synchronous result shape', T, async () => {
    gated.rearm();
    const res = await post(base, { topic: 'solar power', min_verified_stats: 4, max_candidates: 20 });
    assert.equal(res.status, 202);
    const run = (await res.json()) as { run_id: string; status: string; links: { self: string; events: string } };
    assert.match(run.run_id, /^run_[0-9a-f-]{36}$/);
    assert.equal(run.status, 'running');
    assert.equal(res.headers.get('location'), `/v1/runs/${run.run_id}`);

    const stream = await get(base, run.links.events);
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
    const whileRunning = (await (await get(base, run.links.self)).json()) as { status: string; result: unknown };
    assert.equal(whileRunning.status, 'running');
    assert.equal(whileRunning.result, null);
    gated.release();
    const events = parseSse(await stream.text());
    assert.deepEqual(
      events.map((e) => `${e.event}:${String(e.data['stage'] ?? e.data['status'])}`),
      ['progress:research', 'progress:synthesis', 'progress:verification', 'progress:research', 'progress:synthesis', 'progress:verification', 'done:succeeded'],
    );
    assert.deepEqual(events.map((e) => Number(e.id)), [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(events.at(-1)?.data['verified'], 4);

    const done = (await (await get(base, run.links.self)).json()) as { status: string; progress: { verified: number }; result: Record<string, unknown> };
    assert.equal(done.status, 'succeeded');
    assert.equal(done.result['verified_count'], 4);
    assert.equal(done.result['stop_reason'], 'target_reached');
    assert.equal(done.result['failed'], undefined, 'internal fields are not public');
    assert.deepEqual(Object.keys(done.result).sort(), ['failed_count', 'partial', 'statistics', 'stop_reason', 'target_count', 'timestamp', 'topic', 'total_candidates', 'verified_count']);

    // Replay after the end, resuming from Last-Event-ID.
    const replay = parseSse(await (await get(base, run.links.events, 'alice', { 'last-event-id': '5' })).text());
    assert.deepEqual(replay.map((e) => e.id), ['6', '7']);
    assert.deepEqual(parseSse(await (await get(base, `${run.links.events}?after=6`)).text()).map((e) => e.event), ['done']);
  });

  test('a principal sees and lists only its own runs', T, async () => {
    gated.release();
    const mine = (await (await post(base, { topic: 'wind', min_verified_stats: 1 }, 'bob')).json()) as { run_id: string };
    assert.equal((await get(base, `/v1/runs/${mine.run_id}`, 'mallory')).status, 404);
    assert.equal((await get(base, `/v1/runs/${mine.run_id}/events`, 'mallory')).status, 404);
    assert.equal((await get(base, `/v1/runs/${mine.run_id}`, 'bob')).status, 200);
    const list = (await (await get(base, '/v1/runs', 'bob')).json()) as { runs: { run_id: string }[] };
    assert.deepEqual(list.runs.map((r) => r.run_id), [mine.run_id]);
    const none = (await (await get(base, '/v1/runs', 'mallory')).json()) as { runs: unknown[] };
    assert.deepEqual(none.runs, []);
  });

  test('bad input is refused with the error shape and names the field', T, async () => {
    const cases: [Promise<Response>, number, string][] = [
      [post(base, { topic: '' }), 400, 'topic'],
      [post(base, { topic: 'x', extra: 1 }), 400, 'extra'],
      [post(base, { topic: 'x\u0007' }), 400, 'control'],
      [fetch(`${base}/v1/runs`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }), 415, 'application/json'],
      [get(base, '/v1/runs/not-a-run'), 400, 'id'],
      [get(base, '/v1/runs/run_00000000-0000-4000-8000-000000000000'), 404, 'no such run'],
      [get(base, '/v1/runs?limit=0'), 400, 'limit'],
      [get(base, '/v1/runs?what=1'), 400, 'what'],
    ];
    for (const [pending, status, mention] of cases) {
      const res = await pending;
      assert.equal(res.status, status, mention);
      const body = (await res.json()) as { error: { code: string; message: string; request_id: string } };
      assert.ok(body.error.code && body.error.request_id, mention);
      assert.ok(body.error.message.includes(mention), `${mention}: ${body.error.message}`);
    }
  });
});

const input = { topic: 't', min_verified_stats: 1, max_candidates: 5, reputable_only: false };
const until = async (what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/**
 * The durable-run tests, once against the embedded store (PGlite) and once against a Postgres
 * server — `DATABASE_URL`, else a temporary one on loopback when PostgreSQL is installed.
 */
function durableRuns(backend: string, skip: string | false, open: () => Promise<{ store: RunStore; close: () => Promise<void> }>): void {
  let opened: { store: RunStore; close: () => Promise<void> } | undefined;
  let saved: RunStore | undefined;
  describe(`durable runs (${backend})`, { timeout: 120_000, skip }, () => {
    before(async () => {
      opened = await open();
      saved = store;
      store = opened.store;
    }, { timeout: 90_000 });
    after(async () => {
      if (saved) store = saved;
      await opened?.close();
    }, { timeout: 30_000 });
  test('runs beyond maxActive are refused with 503 at once, not queued', T, async () => {
      const gated = gatedAgents();
      const runs = serviceFor(gated.agents, { maxActive: 2 });
      await runs.create('a', input);
      await runs.create('a', input);
      await assert.rejects(runs.create('a', input), (e: { status?: number }) => e.status === 503);
      assert.equal(runs.activeCount, 2);
      gated.release();
      await runs.drain(5_000);
      assert.equal(runs.activeCount, 0);
    });
  
    test('every candidate is an item with its state, and the run records its workflow version and steps', T, async () => {
      const gated = gatedAgents();
      gated.release();
      const runs = serviceFor(gated.agents);
      const run = await runs.create('owner-items', { ...input, min_verified_stats: 4, workflow_version: '1.1.0' });
      await until('the run to finish', async () => (await runs.get(run.id, 'owner-items'))?.status === 'succeeded');
      const done = await runs.get(run.id, 'owner-items');
      assert.equal(done?.workflow_version, '1.1.0');
      const items = await store.itemsOf(run.id);
      assert.equal(items.length, 4);
      assert.ok(items.every((i) => i.status === 'verified' && i.attempts === 1));
      const steps = await store.completedSteps(run.id);
      assert.deepEqual(steps.map((st) => `${st.round}:${st.stage}`), ['1:research', '1:synthesis', '1:verification', '2:research', '2:synthesis', '2:verification']);
      await runs.drain(1000);
    });
  
    test('a run whose worker died is resumed by another from its last finished step, with the uninterrupted result', { timeout: 30_000 }, async () => {
      const reference = gatedAgents();
      reference.release();
      const refService = serviceFor(reference.agents, { instanceId: 'ref' });
      const ref = await refService.create('owner-resume', { ...input, min_verified_stats: 4, max_candidates: 20 });
      await until('the reference run', async () => (await refService.get(ref.id, 'owner-resume'))?.status === 'succeeded');
      await refService.drain(1000);
  
      // Worker 1 takes the run and "dies" inside round 1's synthesis: its lease is never renewed again.
      const dying = gatedAgents();
      let searches = 0;
      const search = dying.agents.search.bind(dying.agents);
      dying.agents.search = async (req, cs) => {
        searches++;
        return search(req, cs);
      };
      const first = serviceFor(dying.agents, { instanceId: 'worker-1', leaseMs: 1000 });
      const run = await first.create('owner-resume', { ...input, min_verified_stats: 4, max_candidates: 20 });
      await until('round 1 research to be recorded', async () => (await store.completedSteps(run.id)).length >= 1);
      // Simulate SIGKILL: the worker stops renewing its lease and never gives the run back (its
      // synthesis call hangs forever). The real process kill is tested end to end in tests/e2e.
      clearInterval((first as unknown as { local: Map<string, { leaseTimer?: NodeJS.Timeout }> }).local.get(run.id)?.leaseTimer);
  
      const survivor = gatedAgents();
      survivor.release();
      let resumedSearches = 0;
      const search2 = survivor.agents.search.bind(survivor.agents);
      survivor.agents.search = async (req, cs) => {
        resumedSearches++;
        return search2(req, cs);
      };
      const audits: AuditEvent[] = [];
      const second = serviceFor(survivor.agents, { instanceId: 'worker-2', leaseMs: 1000, audit: (e) => audits.push(e) });
      second.start();
      await until('the resumed run to finish', async () => (await second.get(run.id, 'owner-resume'))?.status === 'succeeded', 15_000);
      const resumed = await second.get(run.id, 'owner-resume');
      const refDone = await refService.get(ref.id, 'owner-resume');
      const strip = (r: unknown) => JSON.parse(JSON.stringify(r, (k, v: unknown) => (k === 'timestamp' || k === 'date_found' || k === 'fetched_at' ? '' : v))) as unknown;
      assert.deepEqual(strip(resumed?.result), strip(refDone?.result));
      assert.equal(searches, 1, 'worker 1 searched round 1');
      assert.equal(resumedSearches, 1, 'worker 2 did not search round 1 again, only round 2');
      assert.ok((resumed?.attempts ?? 0) >= 2);
      assert.ok(audits.some((a) => a.action === 'run.resumed' && a.resource === `run:${run.id}`));
      // `done` is written just after the status (see RunService.follow).
      await until('the done event', async () => (await store.eventsAfter(run.id, 0)).at(-1)?.type === 'done');
      const events = await store.eventsAfter(run.id, 0);
      const progress = events.filter((e) => e.type === 'progress').map((e) => `${(e.data as { round: number }).round}:${(e.data as { stage: string }).stage}`);
      assert.equal(new Set(progress).size, progress.length, 'no progress reported twice');
      assert.equal(events.at(-1)?.type, 'done');
      await second.drain(1000);
      await first.drain(100);
    });
  
    test('a run whose agent stays unavailable is retried, then dead-lettered with its last error', T, async () => {
      const down: Agents = {
        ...gatedAgents().agents,
        search: async () => {
          throw Object.assign(new Error('14 UNAVAILABLE'), { code: 14, details: 'connect ECONNREFUSED', metadata: {} });
        },
      };
      const runs = new RunService({
        store,
        logger: quiet,
        execute: (i, v, hooks) => orchestrate(i, down, { ...settings, retry: { attempts: 1, baseMs: 1, maxMs: 1 }, requestId: hooks.runId, signal: hooks.signal, deadline: Date.now() + 5000 }),
        instanceId: 'dlq-worker',
        defaultVersion: '1.0.0',
        maxActive: 2,
        leaseMs: 1000,
        sweepMs: 50,
        maxAttempts: 2,
      });
      runs.start();
      const run = await runs.create('owner-dlq', input);
      await until('the run to be dead-lettered', async () => (await runs.get(run.id, 'owner-dlq'))?.status === 'dead');
      const letters = await store.listDeadLetters({ runId: run.id });
      assert.equal(letters.length, 1);
      assert.equal(letters[0]?.kind, 'run');
      assert.match(letters[0]?.lastError ?? '', /research agent is unavailable/);
      await until('the error event', async () => (await store.eventsAfter(run.id, 0)).at(-1)?.type === 'error');
      await runs.drain(1000);
    });
  
    test('SIGTERM gives running runs back to the store at once; the next start resumes them', T, async () => {
      const gated = gatedAgents();
      const runs = serviceFor(gated.agents, { instanceId: 'draining' });
      const run = await runs.create('owner-drain', input);
      const draining = runs.drain(100);
      await assert.rejects(runs.create('owner-drain', input), (e: { code?: string }) => e.code === 'shutting_down');
      await draining;
      assert.equal((await store.getRun(run.id))?.status, 'queued');
      gated.release();
      const next = serviceFor(gated.agents, { instanceId: 'next' });
      next.start();
      await until('the run to finish after restart', async () => (await next.get(run.id, 'owner-drain'))?.status === 'succeeded');
      await next.drain(1000);
    });
  });
}

durableRuns('PGlite', false, async () => {
  const s = await openStore({ memory: true });
  return { store: s, close: () => s.close() };
});

const pg = await postgresForTests({ databaseUrl: process.env['DATABASE_URL'] });
durableRuns('Postgres', 'skip' in pg ? pg.skip : false, async () => {
  if ('skip' in pg) throw new Error(pg.skip);
  const s = await openStore({ databaseUrl: await pg.createDatabase() });
  return {
    store: s,
    close: async () => {
      await s.close();
      await pg.stop();
    },
  };
});
