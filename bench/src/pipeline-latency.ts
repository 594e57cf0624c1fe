#!/usr/bin/env node
/**
 * Offline pipeline latency and throughput: the whole team launched on loopback (development
 * SPIFFE server, corpus server, four agents over mTLS), one search round of 15 pages per topic
 * (research → synthesis → verification), on the sample corpus and on ../shared/corpus/factbook.
 * Sequential requests give latency; two clients at once give throughput.
 *
 *   pnpm --filter @stats-agent/bench bench:pipeline      (REPS=3, FACTBOOK_DIR=…)
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sampleCorpusDir } from '@stats-agent/corpus';
import { launchTeam } from '@stats-agent/launcher';
import { machine, percentile, runBench, writeReport } from './machine.js';

const REPS = Number(process.env['REPS'] ?? 3);
const FACTBOOK = process.env['FACTBOOK_DIR'] ?? fileURLToPath(new URL('../../../shared/corpus/factbook/', import.meta.url));
const TOPICS = [
  'renewable energy', 'urban population growth', 'life expectancy', 'inflation', 'unemployment rate',
  'internet users', 'electricity production', 'forest area', 'carbon dioxide emissions', 'GDP growth',
  'military expenditure', 'literacy', 'oil production', 'exports', 'public debt', 'mobile phones',
];

interface Sample {
  ms: number;
  status: number;
  verified: number;
  candidates: number;
}

async function search(url: string, topic: string, apiKey: string): Promise<Sample> {
  const started = performance.now();
  const res = await fetch(`${url}/v1/orchestrate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ topic, min_verified_stats: 100, max_candidates: 500 }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await res.json()) as { verified_count?: number; total_candidates?: number };
  if (res.status !== 200) throw new Error(`"${topic}": HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  return { ms: performance.now() - started, status: res.status, verified: body.verified_count ?? 0, candidates: body.total_candidates ?? 0 };
}

const r2 = (x: number) => Math.round(x * 10) / 10;

async function runCorpus(name: string, dir: string) {
  const team = await launchTeam({ ports: 'auto', corpusDir: dir, env: { SOURCES_PER_ROUND: '15', MAX_ROUNDS: '1', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_BURST: '1000' } });
  try {
    for (const t of TOPICS.slice(0, 3)) await search(team.orchestratorUrl, t, team.apiKey); // warm-up
    const sequential: Sample[] = [];
    for (let i = 0; i < REPS; i++) for (const t of TOPICS) sequential.push(await search(team.orchestratorUrl, t, team.apiKey));
    const started = performance.now();
    const parallel: Sample[] = [];
    const queue = Array.from({ length: REPS }, () => TOPICS).flat();
    await Promise.all(
      [0, 1].map(async () => {
        for (let t = queue.shift(); t !== undefined; t = queue.shift()) parallel.push(await search(team.orchestratorUrl, t, team.apiKey));
      }),
    );
    const wallS = (performance.now() - started) / 1000;
    const ms = sequential.map((s) => s.ms).sort((a, b) => a - b);
    return {
      corpus: name,
      topics: TOPICS.length,
      requests: sequential.length,
      errors: [...sequential, ...parallel].filter((s) => s.status !== 200).length,
      latency_ms: { p50: r2(percentile(ms, 50)), p95: r2(percentile(ms, 95)), max: r2(ms[ms.length - 1] ?? NaN) },
      mean_candidates: r2(sequential.reduce((a, s) => a + s.candidates, 0) / sequential.length),
      mean_verified: r2(sequential.reduce((a, s) => a + s.verified, 0) / sequential.length),
      throughput_per_s_two_clients: r2(parallel.length / wallS),
    };
  } finally {
    await team.stop();
  }
}

async function main(): Promise<void> {
  const corpora: Array<[string, string]> = [['sample', sampleCorpusDir()]];
  if (existsSync(FACTBOOK)) corpora.push(['factbook', FACTBOOK]);
  else process.stderr.write(`factbook corpus not found at ${FACTBOOK}; set FACTBOOK_DIR to include it\n`);
  const results = [];
  for (const [name, dir] of corpora) {
    process.stderr.write(`${name}: launching the team and searching…\n`);
    results.push(await runCorpus(name, dir));
  }
  const report = { benchmark: 'offline pipeline, one round of 15 sources per topic, over mTLS on loopback', machine: machine(), reps: REPS, results };
  const md = [
    '# Offline pipeline latency and throughput',
    '',
    `${report.benchmark}: POST /v1/orchestrate per topic (${TOPICS.length} topics × ${REPS}), sequential for latency, two clients for throughput. Reproduce: \`pnpm --filter @stats-agent/bench bench:pipeline\`.`,
    '',
    '| corpus | requests | errors | p50 ms | p95 ms | max ms | candidates / search | verified / search | searches/s (2 clients) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.corpus} | ${r.requests} | ${r.errors} | ${r.latency_ms.p50} | ${r.latency_ms.p95} | ${r.latency_ms.max} | ${r.mean_candidates} | ${r.mean_verified} | ${r.throughput_per_s_two_clients} |`),
    '',
  ].join('\n');
  await writeReport('pipeline-latency', report, md);
}

runBench(main);
