import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createAuthenticator } from '@stats-agent/auth';
import { createLogger } from '@stats-agent/logging';
import type { CandidateStatistic__Output } from '@stats-agent/proto';
import type { NextFunction, Request, Response as ExpressResponse } from 'express';
import { RunRegistry } from '../runs.js';
import { orchestrate, type Agents } from '../workflow.js';
import { createHttpApp } from './app.js';
import { createRunsRouter, principalOf } from './runs.js';

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

function registryFor(agents: Agents, maxActive = 4, maxKept = 10): RunRegistry {
  return new RunRegistry({
    maxActive,
    maxKept,
    ttlMs: 60_000,
    execute: (input, run) => orchestrate(input, agents, { ...settings, requestId: run.id, signal: run.signal, onProgress: run.onProgress, deadline: Date.now() + 10_000 }),
  });
}

async function listen(registry: RunRegistry, agents: Agents): Promise<{ server: Server; base: string }> {
  // The principal comes from a header here; the real edge puts the authenticated one there.
  const fakeAuth = (req: Request, res: ExpressResponse, next: NextFunction): void => {
    const who = req.get('x-test-principal');
    if (who) res.locals['principal'] = { id: who };
    next();
  };
  const app = createHttpApp({
    agents,
    logger: quiet,
    settings,
    bodyLimitBytes: 4096,
    maxConcurrent: 4,
    edge: { authenticator: createAuthenticator({ anonymous: true }) },
    routers: [createRunsRouter({ registry, bodyLimitBytes: 4096, ownerOf: principalOf, guards: { create: [fakeAuth], read: [fakeAuth] }, heartbeatMs: 50 })],
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
  const registry = registryFor(gated.agents);
  let base = '';
  let server: Server;
  before(async () => ({ server, base } = await listen(registry, gated.agents)));
  after(async () => {
    gated.release();
    await registry.drain(1000);
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

describe('RunRegistry bounds', T, () => {
  test('runs beyond maxActive are refused with 503 at once, not queued', T, async () => {
    const gated = gatedAgents();
    const registry = registryFor(gated.agents, 2);
    registry.create('a', { topic: 't', min_verified_stats: 1, max_candidates: 5, reputable_only: false });
    registry.create('a', { topic: 't', min_verified_stats: 1, max_candidates: 5, reputable_only: false });
    assert.throws(() => registry.create('a', { topic: 't', min_verified_stats: 1, max_candidates: 5, reputable_only: false }), (e: { status?: number }) => e.status === 503);
    assert.equal(registry.activeCount, 2);
    gated.release();
    await registry.drain(5_000);
    assert.equal(registry.activeCount, 0);
  });

  test('finished runs are evicted oldest first when maxKept is reached', T, async () => {
    const gated = gatedAgents();
    gated.release();
    const registry = registryFor(gated.agents, 4, 2);
    const input = { topic: 't', min_verified_stats: 1, max_candidates: 5, reputable_only: false };
    const first = registry.create('a', input);
    const second = registry.create('a', input);
    // Both still running: nothing can be evicted.
    assert.throws(() => registry.create('a', input), (e: { status?: number }) => e.status === 503);
    await new Promise((r) => setTimeout(r, 100));
    const third = registry.create('a', input);
    assert.equal(registry.get(first.id, 'a'), undefined, 'oldest finished evicted');
    assert.ok(registry.get(second.id, 'a'));
    assert.ok(registry.get(third.id, 'a'));
    await registry.drain(5_000);
  });

  test('drain cancels runs still going after the grace period, and refuses new ones', T, async () => {
    const gated = gatedAgents();
    const registry = registryFor(gated.agents);
    const run = registry.create('a', { topic: 't', min_verified_stats: 1, max_candidates: 5, reputable_only: false });
    const seen: string[] = [];
    registry.follow(run, 0, (e) => seen.push(e.type));
    const draining = registry.drain(100);
    assert.throws(() => registry.create('a', { topic: 't', min_verified_stats: 1, max_candidates: 5, reputable_only: false }), (e: { code?: string }) => e.code === 'shutting_down');
    setTimeout(() => gated.release(), 300);
    await draining;
    assert.equal(run.status, 'cancelled');
    assert.equal(run.error?.code, 'cancelled');
    assert.deepEqual(seen.at(-1), 'error');
  });
});
