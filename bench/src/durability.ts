#!/usr/bin/env node
/**
 * The cost of durability and the time to resume after a crash, offline on loopback.
 *
 * 1. The same request, alternately as `POST /v1/orchestrate` (synchronous, nothing stored) and as
 *    a durable run (`POST /v1/runs`, followed on its event stream to `done`; every step, item and
 *    event written to the run store — PGlite in the run folder), on the sample corpus and the
 *    factbook: the difference is what durability costs a run.
 * 2. SIGKILL the orchestrator while a run is in round 2 (the corpus server answers slowly so the
 *    kill lands mid-run), start it again: time until it is ready, until the run is claimed again,
 *    and until it finishes.
 *
 *   pnpm --filter @stats-agent/bench bench:durability      (REPS=3, FACTBOOK_DIR=…)
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sampleCorpusDir } from '@stats-agent/corpus';
import { launchTeam, type Team } from '@stats-agent/launcher';
import { machine, percentile, runBench, writeReport } from './machine.js';

const REPS = Number(process.env['REPS'] ?? 3);
const KILLS = Number(process.env['KILLS'] ?? 3);
const FACTBOOK = process.env['FACTBOOK_DIR'] ?? fileURLToPath(new URL('../../../shared/corpus/factbook/', import.meta.url));
const TOPICS = ['renewable energy', 'life expectancy', 'inflation', 'internet users', 'forest area', 'public debt'];
const BODY = (topic: string) => JSON.stringify({ topic, min_verified_stats: 100, max_candidates: 300 });
const FAST_ENV = { SOURCES_PER_ROUND: '8', MAX_ROUNDS: '2', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_BURST: '1000' };

const r1 = (x: number) => Math.round(x * 10) / 10;
const headers = (team: Team) => ({ 'content-type': 'application/json', authorization: `Bearer ${team.apiKey}` });

async function synchronous(team: Team, topic: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${team.orchestratorUrl}/v1/orchestrate`, { method: 'POST', headers: headers(team), body: BODY(topic), signal: AbortSignal.timeout(120_000) });
  await res.json();
  if (res.status !== 200) throw new Error(`orchestrate "${topic}": HTTP ${res.status}`);
  return performance.now() - started;
}

/** A durable run, followed on its event stream until `done`, then read back (as the CLI does). */
async function durable(team: Team, topic: string): Promise<number> {
  const started = performance.now();
  const created = await fetch(`${team.orchestratorUrl}/v1/runs`, { method: 'POST', headers: headers(team), body: BODY(topic), signal: AbortSignal.timeout(120_000) });
  const run = (await created.json()) as { run_id: string; links: { events: string; self: string } };
  if (created.status !== 202) throw new Error(`runs "${topic}": HTTP ${created.status}`);
  const events = await fetch(`${team.orchestratorUrl}${run.links.events}`, { headers: headers(team), signal: AbortSignal.timeout(120_000) });
  const text = await events.text();
  if (!/event: done/.test(text)) throw new Error(`run "${topic}" did not end with done: ${text.slice(-300)}`);
  const final = await fetch(`${team.orchestratorUrl}${run.links.self}`, { headers: headers(team), signal: AbortSignal.timeout(10_000) });
  await final.json();
  return performance.now() - started;
}

function stats(ms: number[]): { p50: number; p95: number; mean: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: r1(percentile(s, 50)), p95: r1(percentile(s, 95)), mean: r1(s.reduce((a, b) => a + b, 0) / s.length) };
}

async function cost(name: string, dir: string) {
  const team = await launchTeam({ ports: 'auto', corpusDir: dir, env: FAST_ENV });
  try {
    for (const t of TOPICS.slice(0, 2)) {
      await synchronous(team, t);
      await durable(team, t);
    }
    const sync: number[] = [];
    const dur: number[] = [];
    // Alternate, so both see the same machine load and the same warm caches.
    for (let i = 0; i < REPS; i++) {
      for (const t of TOPICS) {
        if ((i + TOPICS.indexOf(t)) % 2 === 0) {
          sync.push(await synchronous(team, t));
          dur.push(await durable(team, t));
        } else {
          dur.push(await durable(team, t));
          sync.push(await synchronous(team, t));
        }
      }
    }
    const a = stats(sync);
    const b = stats(dur);
    return { corpus: name, runs_each: sync.length, synchronous_ms: a, durable_ms: b, overhead_ms_p50: r1(b.p50 - a.p50), ratio_p50: Math.round((b.p50 / a.p50) * 100) / 100 };
  } finally {
    await team.stop();
  }
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function resume() {
  const leaseMs = 2_000;
  const team = await launchTeam({
    ports: 'auto',
    corpusLatencyMs: 120,
    env: { ...FAST_ENV, SOURCES_PER_ROUND: '3', MAX_ROUNDS: '5', RUN_LEASE_MS: String(leaseMs), RUN_SWEEP_MS: '200' },
  });
  const samples: Array<{ ready: number; resumed: number; done: number }> = [];
  try {
    for (let i = 0; i < KILLS; i++) {
      const created = await fetch(`${team.orchestratorUrl}/v1/runs`, { method: 'POST', headers: headers(team), body: BODY('renewable energy') });
      const { run_id: id } = (await created.json()) as { run_id: string };
      const view = async () => (await (await fetch(`${team.orchestratorUrl}/v1/runs/${id}`, { headers: headers(team) })).json()) as { status: string; attempts: number; progress: { round: number } | null };
      await until(async () => ((await view()).progress?.round ?? 0) >= 2 || undefined, 60_000);
      const killed = performance.now();
      await team.restart('orchestration', 'SIGKILL');
      const ready = performance.now();
      await until(async () => {
        const v = await view();
        return v.attempts >= 2 || v.status !== 'running' ? true : undefined;
      }, 60_000);
      const resumed = performance.now();
      await until(async () => ((await view()).status === 'succeeded' ? true : undefined), 120_000);
      samples.push({ ready: ready - killed, resumed: resumed - killed, done: performance.now() - killed });
    }
  } finally {
    await team.stop();
  }
  const col = (k: 'ready' | 'resumed' | 'done') => stats(samples.map((s) => s[k]));
  return { kills: samples.length, lease_ms: leaseMs, kill_to_ready_ms: col('ready'), kill_to_resumed_ms: col('resumed'), kill_to_done_ms: col('done') };
}

async function main(): Promise<void> {
  const corpora: Array<[string, string]> = [['sample', sampleCorpusDir()]];
  if (existsSync(FACTBOOK)) corpora.push(['factbook', FACTBOOK]);
  else process.stderr.write(`factbook corpus not found at ${FACTBOOK}; set FACTBOOK_DIR to include it\n`);
  const costs = [];
  for (const [name, dir] of corpora) {
    process.stderr.write(`${name}: synchronous against durable runs…\n`);
    costs.push(await cost(name, dir));
  }
  process.stderr.write('resume after SIGKILL…\n');
  const res = await resume();
  const report = { benchmark: 'cost of durable runs, and resume after SIGKILL', machine: machine(), reps: REPS, costs, resume: res };
  const md = [
    '# Durable runs: cost, and resume after a kill',
    '',
    `The same request (${TOPICS.length} topics × ${REPS}, up to 2 rounds of 8 sources) alternately as \`POST /v1/orchestrate\` (nothing stored) and as a durable run (\`POST /v1/runs\` followed on its event stream to \`done\`, then read back; every step, item and event in PGlite). Reproduce: \`pnpm --filter @stats-agent/bench bench:durability\`.`,
    '',
    '| corpus | runs each | synchronous p50 / p95 ms | durable p50 / p95 ms | overhead p50 ms | durable / synchronous (p50) |',
    '|---|---|---|---|---|---|',
    ...costs.map((c) => `| ${c.corpus} | ${c.runs_each} | ${c.synchronous_ms.p50} / ${c.synchronous_ms.p95} | ${c.durable_ms.p50} / ${c.durable_ms.p95} | ${c.overhead_ms_p50} | ×${c.ratio_p50} |`),
    '',
    `Resume: the orchestrator SIGKILLed while a run is in round 2 (corpus answering in 120 ms per page, lease ${res.lease_ms} ms), ${res.kills} times:`,
    '',
    '| from the kill to | p50 ms | p95 ms |',
    '|---|---|---|',
    `| the new orchestrator ready (PGlite opened, migrations checked) | ${res.kill_to_ready_ms.p50} | ${res.kill_to_ready_ms.p95} |`,
    `| the run claimed again | ${res.kill_to_resumed_ms.p50} | ${res.kill_to_resumed_ms.p95} |`,
    `| the run finished | ${res.kill_to_done_ms.p50} | ${res.kill_to_done_ms.p95} |`,
    '',
    'The run is claimed again once its lease has run out (the lease is renewed every third of `RUN_LEASE_MS`; a restart takes longer than the lease here, so the first sweep claims it). With the default 15 s lease a killed run waits up to 15 s; an orchestrator stopped with SIGTERM gives its runs back at once.',
    '',
  ].join('\n');
  await writeReport('durability', report, md);
}

runBench(main);
