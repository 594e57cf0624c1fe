import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CandidateStatistic__Output, SearchRequest } from '@stats-agent/proto';
import { markCorroborated, orchestrate, periodYear, toStatistic, type Agents } from './workflow.js';

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
