import assert from 'node:assert/strict';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { CandidateStatistic__Output, SearchRequest } from '@stats-agent/proto';
import type { CallSettings } from '@stats-agent/rpc';
import { markCorroborated, orchestrate, periodYear, toStatistic, type Agents, type Progress } from './workflow.js';

function fakeAgents(pages: number, perPage: number, verifyEvery: number) {
  const calls = { search: [] as SearchRequest[], extract: 0, verify: 0, verifiedBatchSizes: [] as number[] };
  const agents: Agents = {
    async search(req) {
      calls.search.push(req);
      const offset = req.offset ?? 0;
      const sources = Array.from({ length: Math.max(0, Math.min(req.limit ?? 0, pages - offset)) }, (_, i) => ({
        url: `http://127.0.0.1:1/p${offset + i}`,
        title: '',
        snippet: '',
        domain: '127.0.0.1',
        position: offset + i + 1,
        score: 1,
        reputation_tier: 'other',
        publisher: '',
        publisher_domain: '',
      }));
      return { sources, total: pages, provider: 'local' };
    },
    async extract(req) {
      calls.extract++;
      const candidates: CandidateStatistic__Output[] = (req.sources ?? []).flatMap((s) =>
        Array.from({ length: perPage }, (_, k) => ({
          name: `n${k}`, value: k, unit: '', source: 's', source_url: s.url ?? '', excerpt: `Value ${k}.`, period: '', relevance: 1,
        })),
      );
      // A duplicate of the first candidate, which must be merged.
      if (candidates[0]) candidates.push({ ...candidates[0] });
      return { candidates, sources: [] };
    },
    async verify(req) {
      calls.verify++;
      calls.verifiedBatchSizes.push(req.candidates?.length ?? 0);
      return {
        results: (req.candidates ?? []).map((c, i) => ({
          candidate: { name: c.name ?? '', value: Number(c.value ?? 0), unit: '', source: '', source_url: c.source_url ?? '', excerpt: c.excerpt ?? '', period: c.period ?? '', relevance: 0 },
          verified: i % verifyEvery === 0,
          reason: i % verifyEvery === 0 ? 'verified' : 'excerpt_not_found',
          message: '',
          text_sha256: '',
          fetched_at: '',
          verifier_id: 'spiffe://td/v',
        })),
      };
    },
  };
  return { agents, calls };
}

const settings = { requestId: 'r', timeouts: { research: 1000, synthesis: 1000, verification: 1000 }, deadline: Date.now() + 60_000, maxRounds: 5, sourcesPerRound: 2 };

test('goes round again with the next sources until the target is met', { timeout: 5000 }, async () => {
  const { agents, calls } = fakeAgents(10, 2, 2);
  const r = await orchestrate({ topic: 't', min_verified_stats: 4, max_candidates: 100, reputable_only: false }, agents, { ...settings, deadline: Date.now() + 60_000 });
  assert.equal(r.verified_count, 4);
  assert.equal(r.partial, false);
  assert.deepEqual(calls.search.map((s) => s.offset), [0, 2]);
  assert.equal(r.total_candidates, 8, 'duplicates merged');
});

test('stops at max_candidates and reports partial honestly', { timeout: 5000 }, async () => {
  const { agents, calls } = fakeAgents(10, 3, 3);
  const r = await orchestrate({ topic: 't', min_verified_stats: 50, max_candidates: 7, reputable_only: false }, agents, { ...settings, deadline: Date.now() + 60_000 });
  assert.equal(r.total_candidates, 7);
  assert.ok(calls.verifiedBatchSizes.every((n) => n <= 7));
  assert.equal(r.partial, true);
  assert.equal(r.target_count, 50);
});

test('stops when the sources run out', { timeout: 5000 }, async () => {
  const { agents, calls } = fakeAgents(3, 1, 1);
  const r = await orchestrate({ topic: 't', min_verified_stats: 50, max_candidates: 100, reputable_only: false }, agents, { ...settings, deadline: Date.now() + 60_000 });
  assert.equal(calls.search.length, 2);
  assert.equal(r.verified_count, 3);
  assert.equal(r.partial, true);
});

test('a request out of time fails with 504 before calling', { timeout: 5000 }, async () => {
  const { agents } = fakeAgents(3, 1, 1);
  await assert.rejects(
    orchestrate({ topic: 't', min_verified_stats: 1, max_candidates: 10, reputable_only: false }, agents, { ...settings, deadline: Date.now() - 1 }),
    (err: { status?: number }) => err.status === 504,
  );
});

test('a large round is verified in batches the verification contract accepts', { timeout: 5000 }, async () => {
  const { agents, calls } = fakeAgents(10, 50, 1);
  const r = await orchestrate({ topic: 't', min_verified_stats: 100, max_candidates: 450, reputable_only: false }, agents, {
    ...settings,
    sourcesPerRound: 10,
    maxRounds: 1,
    deadline: Date.now() + 60_000,
  });
  assert.equal(r.total_candidates, 450);
  assert.deepEqual(calls.verifiedBatchSizes.sort((a, b) => a - b), [50, 200, 200]);
  assert.equal(r.verified_count, 450);
});

test('since keeps only statistics about that year or later, unknown periods left out', { timeout: 5000 }, async () => {
  const { agents } = fakeAgents(4, 1, 1);
  const periods = ['2019', '2022-23', '', '2024'];
  const extract = agents.extract.bind(agents);
  agents.extract = async (req, cs) => {
    const r = await extract(req, cs);
    return { ...r, candidates: r.candidates.map((c, i) => ({ ...c, period: periods[i % periods.length] ?? '', excerpt: `${c.excerpt} ${i}` })) };
  };
  const r = await orchestrate({ topic: 't', min_verified_stats: 10, max_candidates: 100, reputable_only: false, since: 2023 }, agents, {
    ...settings,
    sourcesPerRound: 4,
    maxRounds: 1,
    deadline: Date.now() + 60_000,
  });
  assert.deepEqual(r.statistics.map((s) => s.period).sort(), ['2022-23', '2024']);
  assert.equal(periodYear('2023 est.'), 2023);
  assert.equal(periodYear('2019–2021'), 2021);
  assert.equal(periodYear('FY2022/23'), 2023);
  assert.equal(periodYear('none'), undefined);
});

test('the same value and unit from two publishers is corroborated; from one publisher it is not', { timeout: 5000 }, () => {
  const stat = (source: string, url: string, value: number, unit: string) =>
    toStatistic(
      {
        candidate: { name: 'n', value, unit, source, source_url: url, excerpt: 'e', period: '', relevance: 0 },
        verified: true,
        reason: 'verified',
        message: '',
        text_sha256: '',
        fetched_at: '',
        verifier_id: 'v',
      },
      'now',
    );
  const stats = [
    stat('Energy Office', 'http://h/a', 41.2, '%'),
    stat('Grid Journal', 'http://h/b', 41.2, '%'),
    stat('Energy Office', 'http://h/c', 12, '%'),
    stat('Energy Office', 'http://h/d', 12, '%'),
    stat('Grid Journal', 'http://h/e', 41.2, 'GW'),
  ];
  markCorroborated(stats);
  assert.deepEqual(stats.map((s) => s.corroborated), [true, true, false, false, false]);
  assert.deepEqual(stats[0]?.corroborated_by, ['http://h/b']);
});

/** Makes `agent` of `agents` honour its call deadline like grpc-js: DEADLINE_EXCEEDED when it would answer too late. */
function slowFrom(agents: Agents, agent: 'search' | 'extract' | 'verify', delayMs: number, fromCall: number): void {
  const inner = agents[agent].bind(agents) as (req: never, cs: CallSettings) => Promise<unknown>;
  let n = 0;
  (agents as unknown as Record<string, unknown>)[agent] = async (req: never, cs: CallSettings) => {
    n++;
    if (n < fromCall) return inner(req, cs);
    if (delayMs <= cs.timeoutMs) {
      await new Promise((r) => setTimeout(r, delayMs));
      return inner(req, cs);
    }
    await new Promise((r) => setTimeout(r, cs.timeoutMs));
    throw Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded'), { code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded', metadata: {} });
  };
}

test('progress is reported after every stage, ending with done and the stop reason', { timeout: 5000 }, async () => {
  const { agents } = fakeAgents(10, 2, 2);
  const events: Progress[] = [];
  const r = await orchestrate({ topic: 't', min_verified_stats: 4, max_candidates: 100, reputable_only: false }, agents, {
    ...settings,
    deadline: Date.now() + 60_000,
    onProgress: (p) => events.push(p),
  });
  assert.deepEqual(
    events.map((e) => `${e.round}:${e.stage}:${e.sources}/${e.candidates}/${e.verified}`),
    ['1:research:2/0/0', '1:synthesis:2/4/0', '1:verification:2/4/2', '2:research:4/4/2', '2:synthesis:4/8/2', '2:verification:4/8/4', '2:done:4/8/4'],
  );
  assert.equal(events.at(-1)?.stop_reason, 'target_reached');
  assert.equal(r.stop_reason, 'target_reached');
});

test('stop reasons: max_candidates, sources_exhausted, max_rounds', { timeout: 5000 }, async () => {
  const run = (pages: number, min: number, max: number, maxRounds: number) =>
    orchestrate({ topic: 't', min_verified_stats: min, max_candidates: max, reputable_only: false }, fakeAgents(pages, 2, 2).agents, {
      ...settings,
      maxRounds,
      deadline: Date.now() + 60_000,
    });
  assert.equal((await run(10, 50, 4, 5)).stop_reason, 'max_candidates');
  assert.equal((await run(3, 50, 100, 5)).stop_reason, 'sources_exhausted');
  assert.equal((await run(10, 50, 100, 2)).stop_reason, 'max_rounds');
});

test('a round that runs out of its deadline ends the loop with what earlier rounds verified', { timeout: 10_000 }, async () => {
  const { agents, calls } = fakeAgents(10, 2, 2);
  slowFrom(agents, 'extract', 2_000, 2);
  const r = await orchestrate({ topic: 't', min_verified_stats: 10, max_candidates: 100, reputable_only: false }, agents, {
    ...settings,
    roundTimeoutMs: 300,
    deadline: Date.now() + 60_000,
  });
  assert.equal(r.stop_reason, 'round_deadline');
  assert.equal(r.rounds, 2);
  assert.equal(r.verified_count, 2, 'round 1 kept');
  assert.equal(r.partial, true);
  assert.equal(calls.verify, 1, 'round 2 never reached verification');
});

test('the overall deadline after a finished round gives a partial result; in the first round a 504', { timeout: 10_000 }, async () => {
  const late = fakeAgents(10, 2, 2);
  slowFrom(late.agents, 'search', 2_000, 2);
  const r = await orchestrate({ topic: 't', min_verified_stats: 10, max_candidates: 100, reputable_only: false }, late.agents, {
    ...settings,
    deadline: Date.now() + 400,
  });
  assert.equal(r.stop_reason, 'deadline');
  assert.equal(r.verified_count, 2);

  const first = fakeAgents(10, 2, 2);
  slowFrom(first.agents, 'extract', 2_000, 1);
  await assert.rejects(
    orchestrate({ topic: 't', min_verified_stats: 10, max_candidates: 100, reputable_only: false }, first.agents, { ...settings, roundTimeoutMs: 200, deadline: Date.now() + 60_000 }),
    (err: { status?: number; code?: string }) => err.status === 504 && err.code === 'request_timeout',
  );
});

test('an agent slower than its own timeout is a 504 naming it, not a quiet stop', { timeout: 10_000 }, async () => {
  const { agents } = fakeAgents(10, 2, 2);
  slowFrom(agents, 'verify', 2_000, 2);
  await assert.rejects(
    orchestrate({ topic: 't', min_verified_stats: 10, max_candidates: 100, reputable_only: false }, agents, {
      ...settings,
      timeouts: { research: 1000, synthesis: 1000, verification: 200 },
      deadline: Date.now() + 60_000,
    }),
    (err: { status?: number; code?: string; message?: string }) => err.status === 504 && err.code === 'agent_timeout' && /verification/.test(err.message ?? ''),
  );
});

/** Wraps `agent` so its first `failures` calls fail with gRPC `code`; records each call's settings. */
function failingFirst(agents: Agents, agent: 'search' | 'extract' | 'verify', code: status, failures: number): CallSettings[] {
  const inner = agents[agent].bind(agents) as (req: never, cs: CallSettings) => Promise<unknown>;
  const seen: CallSettings[] = [];
  (agents as unknown as Record<string, unknown>)[agent] = async (req: never, cs: CallSettings) => {
    seen.push(cs);
    if (seen.length <= failures) throw Object.assign(new Error(`${code} ${status[code]}`), { code, details: status[code], metadata: {} });
    return inner(req, cs);
  };
  return seen;
}

const retryFast = { attempts: 3, baseMs: 5, maxMs: 20 };

test('a transient failure is retried with the same idempotency key, and the run goes on', { timeout: 5000 }, async () => {
  for (const code of [status.UNAVAILABLE, status.RESOURCE_EXHAUSTED, status.DEADLINE_EXCEEDED]) {
    const { agents } = fakeAgents(4, 2, 1);
    const seen = failingFirst(agents, 'extract', code, 2);
    const retries: string[] = [];
    const r = await orchestrate({ topic: 't', min_verified_stats: 2, max_candidates: 100, reputable_only: false }, agents, {
      ...settings,
      retry: retryFast,
      onRetry: (x) => retries.push(`${x.agent}:${x.attempt}:${x.code}`),
      deadline: Date.now() + 60_000,
    });
    assert.equal(r.verified_count, 4, status[code]);
    assert.equal(seen.length, 3, 'two failures, then success');
    assert.deepEqual(new Set(seen.map((cs) => cs.idempotencyKey)), new Set(['r:1:synthesis']));
    assert.deepEqual(retries, [`synthesis:1:${status[code]}`, `synthesis:2:${status[code]}`]);
  }
});

test('retries are bounded, and permanent failures are not retried', { timeout: 5000 }, async () => {
  const down = fakeAgents(4, 2, 1);
  const tries = failingFirst(down.agents, 'search', status.UNAVAILABLE, 100);
  await assert.rejects(
    orchestrate({ topic: 't', min_verified_stats: 2, max_candidates: 100, reputable_only: false }, down.agents, { ...settings, retry: retryFast, deadline: Date.now() + 60_000 }),
    (e: { status?: number; code?: string }) => e.status === 503 && e.code === 'agent_unavailable',
  );
  assert.equal(tries.length, 3);
  for (const code of [status.INVALID_ARGUMENT, status.PERMISSION_DENIED, status.INTERNAL, status.FAILED_PRECONDITION]) {
    const broken = fakeAgents(4, 2, 1);
    const once = failingFirst(broken.agents, 'extract', code, 100);
    await assert.rejects(
      orchestrate({ topic: 't', min_verified_stats: 2, max_candidates: 100, reputable_only: false }, broken.agents, { ...settings, retry: retryFast, deadline: Date.now() + 60_000 }),
      (e: { status?: number }) => e.status === 502,
    );
    assert.equal(once.length, 1, status[code]);
  }
});

test('every call of a round carries a distinct idempotency key', { timeout: 5000 }, async () => {
  const { agents } = fakeAgents(10, 150, 1);
  const keys: string[] = [];
  for (const name of ['search', 'extract', 'verify'] as const) {
    const inner = agents[name].bind(agents) as (req: never, cs: CallSettings) => Promise<unknown>;
    (agents as unknown as Record<string, unknown>)[name] = (req: never, cs: CallSettings) => {
      keys.push(cs.idempotencyKey ?? '');
      return inner(req, cs);
    };
  }
  await orchestrate({ topic: 't', min_verified_stats: 1000, max_candidates: 600, reputable_only: false }, agents, { ...settings, maxRounds: 2, deadline: Date.now() + 60_000 });
  assert.deepEqual(keys.sort(), ['r:1:research', 'r:1:synthesis', 'r:1:verification:0', 'r:1:verification:1', 'r:2:research', 'r:2:synthesis', 'r:2:verification:0', 'r:2:verification:1'].sort());
});

test('reputable first: reputable sources are read before the rest, and none twice', { timeout: 5000 }, async () => {
  const { agents, calls } = fakeAgents(6, 1, 1);
  // Sources p0 and p3 are the reputable ones.
  const inner = agents.search.bind(agents);
  agents.search = async (req, cs) => {
    if (!req.reputable_only) return inner(req, cs);
    const all = (await inner({ ...req, offset: 0, limit: 100 }, cs)).sources.filter((s) => /p[03]$/.test(s.url));
    const offset = req.offset ?? 0;
    return { sources: all.slice(offset, offset + (req.limit ?? 0)), total: all.length, provider: 'local' };
  };
  const urls: string[] = [];
  const extract = agents.extract.bind(agents);
  agents.extract = async (req, cs) => {
    urls.push(...(req.sources ?? []).map((s) => s.url ?? ''));
    return extract(req, cs);
  };
  const r = await orchestrate({ topic: 't', min_verified_stats: 100, max_candidates: 100, reputable_only: false }, agents, {
    ...settings,
    sourcesPerRound: 2,
    maxRounds: 10,
    reputableFirst: true,
    deadline: Date.now() + 60_000,
  });
  assert.deepEqual(urls.map((u) => u.slice(-2)), ['p0', 'p3', 'p1', 'p2', 'p4', 'p5']);
  assert.equal(r.stop_reason, 'sources_exhausted');
  assert.ok(calls.search.some((q) => q.reputable_only) && calls.search.some((q) => !q.reputable_only));
});

test('a run executed again replays its finished steps from the step store and calls only what is left', { timeout: 5000 }, async () => {
  const stored = new Map<string, unknown>();
  const steps = {
    load: async (k: string) => stored.get(k),
    save: async (k: string, _a: string, v: unknown) => void stored.set(k, JSON.parse(JSON.stringify(v)) as unknown),
  };
  const input = { topic: 't', min_verified_stats: 6, max_candidates: 100, reputable_only: false };
  const full = await orchestrate(input, fakeAgents(10, 2, 2).agents, { ...settings, deadline: Date.now() + 60_000 });

  // First try: dies in round 2's verification (as if the process were killed there).
  const first = fakeAgents(10, 2, 2);
  const verify = first.agents.verify.bind(first.agents);
  first.agents.verify = async (req, cs) => {
    if (first.calls.verify >= 1) throw new Error('killed');
    return verify(req, cs);
  };
  await assert.rejects(orchestrate(input, first.agents, { ...settings, steps, deadline: Date.now() + 60_000 }));
  assert.deepEqual([...stored.keys()].sort(), ['1:research', '1:synthesis', '1:verification:0', '2:research', '2:synthesis']);

  // Second try: nothing finished is asked again; the result is the uninterrupted one.
  const second = fakeAgents(10, 2, 2);
  const again = await orchestrate(input, second.agents, { ...settings, steps, deadline: Date.now() + 60_000 });
  assert.deepEqual(second.calls.search.map((q) => q.offset), [4]);
  assert.equal(second.calls.extract, 1);
  assert.equal(second.calls.verify, 2);
  const strip = (r: typeof full) => ({ ...r, timestamp: '', statistics: r.statistics.map((x) => ({ ...x, date_found: '' })), failed: r.failed.map((x) => ({ ...x, date_found: '' })) });
  assert.deepEqual(strip(again), strip(full));
});

test('a poison candidate is isolated by splitting its chunk; the others are judged, it becomes a dead letter', { timeout: 5000 }, async () => {
  const { agents } = fakeAgents(2, 5, 1);
  const verify = agents.verify.bind(agents);
  const sizes: number[] = [];
  agents.verify = async (req, cs) => {
    sizes.push(req.candidates?.length ?? 0);
    if ((req.candidates ?? []).some((c) => c.name === 'n3' && (c.source_url ?? '').endsWith('p1'))) {
      throw Object.assign(new Error('13 INTERNAL'), { code: status.INTERNAL, details: 'verification.Verify: internal error', metadata: {} });
    }
    return verify(req, cs);
  };
  const poison: string[] = [];
  const r = await orchestrate({ topic: 't', min_verified_stats: 100, max_candidates: 100, reputable_only: false }, agents, {
    ...settings,
    maxRounds: 1,
    onPoison: (e) => void poison.push(`${e.candidate.name}@${e.candidate.source_url.slice(-2)} ${e.key} ${e.error.code}`),
    deadline: Date.now() + 60_000,
  });
  assert.deepEqual(poison, ['n3@p1 1:verification:0bba agent_error']);
  assert.equal(r.verified_count, 9);
  assert.equal(r.failed_count, 1);
  assert.equal(r.failed[0]?.verification.reason, 'verification_failed');
  assert.deepEqual(sizes, [10, 5, 5, 3, 2, 1, 1]);
});
