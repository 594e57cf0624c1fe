import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatTable, formatValue } from './format.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

const result = {
  topic: 'solar',
  statistics: [
    {
      name: 'Solar share',
      value: 5.5,
      unit: '%',
      source: 'Energy Office',
      source_url: 'http://127.0.0.1:1/energy/solar.html',
      excerpt: 'Solar panels generated 5.5% of electricity in 2023.',
      verified: true,
      date_found: '2026-01-01T00:00:00.000Z',
      verification: { reason: 'verified', verifier: 'spiffe://stats-agent.local/ns/stats-agent/sa/verification' },
    },
  ],
  total_candidates: 3,
  verified_count: 1,
  failed_count: 2,
  timestamp: '2026-01-01T00:00:00.000Z',
  partial: true,
  target_count: 10,
};

let server: Server;
let url: string;
const bodies: unknown[] = [];

const RUN_ID = 'run_00000000-0000-4000-8000-000000000001';
const progressEvents = [
  { stage: 'research', round: 1, sources: 8, candidates: 0, verified: 0, failed: 0 },
  { stage: 'synthesis', round: 1, sources: 8, candidates: 3, verified: 0, failed: 0 },
  { stage: 'verification', round: 1, sources: 8, candidates: 3, verified: 1, failed: 2 },
];
const eventsSeen: Array<string | undefined> = [];

/** The runs API as the orchestrator speaks it: 202 + run, SSE events, the run with its result. */
function runsApi(req: IncomingMessage, res: ServerResponse, body: { topic?: string }, topicOf: Map<string, string>): void {
  const sse = (id: number, event: string, data: object) => res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const links = { self: `/v1/runs/${RUN_ID}`, events: `/v1/runs/${RUN_ID}/events` };
  if (req.method === 'POST') {
    if (body.topic === 'busy') {
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'busy', message: 'too many runs in progress', request_id: 'r' } }));
      return;
    }
    topicOf.set(RUN_ID, body.topic ?? '');
    res.writeHead(202, { 'content-type': 'application/json', location: links.self }).end(JSON.stringify({ run_id: RUN_ID, status: 'running', result: null, error: null, links }));
    return;
  }
  const topic = topicOf.get(RUN_ID) ?? '';
  if (req.url === links.events) {
    const last = Number(req.headers['last-event-id'] ?? 0);
    eventsSeen.push(req.headers['last-event-id'] as string | undefined);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(': keep-alive\n\n');
    progressEvents.forEach((p, i) => i + 1 > last && sse(i + 1, 'progress', p));
    // "flaky": the first stream drops after the events, before the end; the client reconnects.
    if (topic === 'flaky' && last === 0) return void setTimeout(() => res.socket?.destroy(), 100);
    if (topic === 'down') sse(4, 'error', { status: 'failed', code: 'agent_unavailable', message: 'the research agent is unavailable' });
    else sse(4, 'done', { status: 'succeeded', verified: 1 });
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ run_id: RUN_ID, status: 'succeeded', result, error: null, links }));
}

before(async () => {
  const topicOf = new Map<string, string>();
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const body = (data ? JSON.parse(data) : {}) as { topic: string; candidates?: Array<{ excerpt: string }> };
      if (data) bodies.push(body);
      if (req.url === '/v1/verify') {
        const results = (body.candidates ?? []).map((c) => ({
          statistic: { ...result.statistics[0], ...c },
          verified: c.excerpt === result.statistics[0]?.excerpt,
          reason: c.excerpt === result.statistics[0]?.excerpt ? 'verified' : 'excerpt_not_found',
        }));
        const verified = results.filter((r) => r.verified).length;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results, verified_count: verified, failed_count: results.length - verified }));
      } else if (req.url?.startsWith('/v1/runs')) {
        runsApi(req, res, body, topicOf);
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found', message: 'no such endpoint', request_id: 'r' } }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('stats-agent search', { timeout: 30_000 }, () => {
  test('prints a table with value, excerpt and full URL, and sends the options', async () => {
    const r = await run(['search', 'solar', '--url', url, '--min-stats', '4', '--max-candidates', '9', '--reputable-only', '--since', '2020']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /5\.5%/);
    assert.match(r.stdout, /Solar panels generated 5\.5% of electricity in 2023\./);
    assert.match(r.stdout, /<http:\/\/127\.0\.0\.1:1\/energy\/solar\.html>/);
    assert.match(r.stdout, /1 verified of 3 candidates \(2 failed verification\) — partial: target was 10/);
    assert.deepEqual(bodies.at(-1), { topic: 'solar', min_verified_stats: 4, max_candidates: 9, reputable_only: true, since: 2020 });
  });

  test('reports progress on stderr while the run goes, results only on stdout', async () => {
    const r = await run(['search', 'solar', '--url', url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /round 1 {2}research +sources 8 {2}candidates 0 {2}verified 0/);
    assert.match(r.stderr, /round 1 {2}verification +sources 8 {2}candidates 3 {2}verified 1/);
    assert.match(r.stderr, /done: 1 verified of 3 candidates \(partial: 10 wanted\)/);
    assert.doesNotMatch(r.stdout, /round 1/);
    const quiet = await run(['search', 'solar', '--url', url, '--quiet']);
    assert.equal(quiet.stderr, '');
  });

  test('a dropped event stream is resumed from the last event id', async () => {
    eventsSeen.length = 0;
    const r = await run(['search', 'flaky', '--url', url]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(eventsSeen, [undefined, '3']);
    assert.equal(r.stderr.match(/round 1 {2}verification/g)?.length, 1, 'no event reported twice');
  });

  test('a run refused at once (503) is reported with its code', async () => {
    const r = await run(['search', 'busy', '--url', url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /busy: too many runs in progress/);
  });

  test('--output json prints the server JSON unchanged', async () => {
    const r = await run(['search', 'solar', '--url', url, '--output', 'json']);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), result);
  });

  test('a server error is reported with its code on stderr and exit 1', async () => {
    const r = await run(['search', 'down', '--url', url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /agent_unavailable: the research agent is unavailable/);
    assert.equal(r.stdout, '');
  });

  test('an orchestrator that is not running says what to start', async () => {
    const r = await run(['search', 'x', '--url', 'http://127.0.0.1:1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /stats-agent up/);
  });

  test('bad options are refused before any call', async () => {
    const n = bodies.length;
    const r = await run(['search', 'x', '--url', url, '--min-stats', 'lots']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /must be a positive integer/);
    assert.equal((await run(['search', 'x', '--url', url, '--output', 'xml'])).code === 0, false);
    assert.equal(bodies.length, n);
  });
});

describe('stats-agent verify', { timeout: 30_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-verify-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const candidate = { name: 'Solar share', value: 5.5, unit: '%', source: 'Energy Office', source_url: 'http://127.0.0.1:1/energy/solar.html', excerpt: 'Solar panels generated 5.5% of electricity in 2023.' };

  test('sends the file\'s candidates and prints a verdict per candidate; exit 3 when one failed', async () => {
    const file = join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ candidates: [candidate, { ...candidate, excerpt: 'Made up.' }] }));
    const r = await run(['verify', file, '--url', url]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /verified/);
    assert.match(r.stdout, /excerpt_not_found/);
    assert.match(r.stdout, /1 verified, 1 failed/);
    assert.deepEqual((bodies.at(-1) as { candidates: unknown[] }).candidates.length, 2);
  });

  test('a bare array works and all verified exits 0', async () => {
    const file = join(dir, 'a.json');
    await writeFile(file, JSON.stringify([candidate]));
    const r = await run(['verify', file, '--url', url, '--output', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { verified_count: number }).verified_count, 1);
  });

  test('a missing file, bad JSON or a wrong shape is a clear error and no call', async () => {
    const n = bodies.length;
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"candidates": [');
    const shape = join(dir, 'shape.json');
    await writeFile(shape, '{"items": []}');
    for (const [file, message] of [[join(dir, 'none.json'), /no such file/], [bad, /not valid JSON/], [shape, /expected an array of candidates/]] as const) {
      const r = await run(['verify', file, '--url', url]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, message);
    }
    assert.equal(bodies.length, n);
  });
});

test('values are printed with their unit', { timeout: 5000 }, () => {
  assert.equal(formatValue(1200000, 'USD'), '1,200,000 USD');
  assert.equal(formatValue(12.5, '%'), '12.5%');
  assert.equal(formatValue(7, ''), '7');
  assert.match(formatTable({ ...result, statistics: [], verified_count: 0 }, 100), /No verified statistics for "solar"/);
});
