import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const ADMIN_KEY = 'sk_admin_test_0123456789';
const READ_KEY = 'sk_read_test_0123456789';
const DLQ = 'dlq_00000000-0000-4000-8000-0000000000aa';
const RUN = 'run_00000000-0000-4000-8000-0000000000bb';

const letter = {
  id: DLQ,
  kind: 'item',
  state: 'open',
  run_id: RUN,
  item_key: 'k1',
  owner: 'jwt:analyst-1',
  attempts: 2,
  // A hostile error message: an ANSI escape and a bidi override must not reach the terminal.
  last_error: 'the verification agent failed (INTERNAL)\u001b[31m red \u202e',
  context: { stage: 'verification', round: 1 },
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};

const seen: Array<{ method: string; url: string; auth: string | undefined }> = [];
let server: Server;
let url: string;
let dir: string;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The orchestrator's admin endpoints as they answer (shapes of apps/orchestration/src/http/admin.ts). */
function adminApi(req: IncomingMessage, res: ServerResponse): void {
  const auth = req.headers.authorization;
  seen.push({ method: req.method ?? '', url: req.url ?? '', auth });
  if (!auth) return send(res, 401, { error: { code: 'auth_required', message: 'authentication required', request_id: 'r' } });
  if (auth !== `Bearer ${ADMIN_KEY}`) return send(res, 403, { error: { code: 'insufficient_scope', message: 'this endpoint needs the stats:admin scope', request_id: 'r' } });
  const u = new URL(req.url ?? '/', 'http://x');
  if (req.method === 'GET' && u.pathname === '/v1/admin/dlq') return send(res, 200, { dead_letters: u.searchParams.get('state') === 'dropped' ? [] : [letter] });
  if (req.method === 'GET' && u.pathname === `/v1/admin/dlq/${DLQ}`) {
    return send(res, 200, { ...letter, run: { status: 'succeeded' }, item: { status: 'failed', candidate: { name: 'Tidal share', value: 2.5, unit: '%', source_url: 'https://example.org/t' } } });
  }
  if (req.method === 'POST' && u.pathname === `/v1/admin/dlq/${DLQ}/retry`) {
    return send(res, 200, { dead_letter: { ...letter, state: 'retried' }, outcome: 'verified', reason: 'verified', result_amended: true, run: { run_id: RUN, status: 'succeeded' } });
  }
  if (req.method === 'DELETE' && u.pathname === `/v1/admin/dlq/${DLQ}`) {
    return send(res, 409, { error: { code: 'conflict', message: `dead letter ${DLQ} is already retried`, request_id: 'r' } });
  }
  if (req.method === 'DELETE' && u.pathname.startsWith('/v1/subjects/')) {
    const reached = decodeURIComponent(u.pathname.slice('/v1/subjects/'.length)) !== 'api_key:cache-down';
    return send(res, 200, {
      erased: { runs: 2, steps: 6, items: 9, events: 12, dead_letters: 1 },
      cache: reached ? { topics: 2, reached: true, forgotten: 2 } : { topics: 1, reached: false, forgotten: 0, error: 'the research agent is unavailable' },
    });
  }
  send(res, 404, { error: { code: 'not_found', message: 'no such endpoint', request_id: 'r' } });
}

before(async () => {
  server = createServer(adminApi);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'cli-admin-'));
});
after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

function run(args: string[], key: string | null = ADMIN_KEY): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] };
    if (key) env['STATS_AGENT_API_KEY'] = key;
    const child = spawn(process.execPath, [MAIN, ...args, '--url', url], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('stats-agent dlq / subjects', { timeout: 60_000 }, () => {
  test('dlq list: open letters by default as a table without terminal escapes; filters become query parameters; --json is the server answer', { timeout: 20_000 }, async () => {
    const r = await run(['dlq', 'list']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ID\s+KIND\s+STATE\s+RUN/);
    assert.ok(r.stdout.includes(DLQ) && r.stdout.includes(RUN));
    assert.ok(!r.stdout.includes('\u001b') && !r.stdout.includes('\u202e'), 'no escape or bidi override reaches the terminal');
    assert.equal(seen.at(-1)?.url, '/v1/admin/dlq?state=open&limit=100');
    assert.equal(seen.at(-1)?.auth, `Bearer ${ADMIN_KEY}`);

    const all = await run(['dlq', 'list', '--state', 'all', '--kind', 'item', '--run', RUN, '--limit', '5', '--json']);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(seen.at(-1)?.url, `/v1/admin/dlq?kind=item&run_id=${RUN}&limit=5`);
    assert.equal((JSON.parse(all.stdout) as { dead_letters: Array<{ id: string }> }).dead_letters[0]?.id, DLQ);

    const none = await run(['dlq', 'list', '--state', 'dropped']);
    assert.equal(none.stdout, 'no dead letters\n');
    const bad = await run(['dlq', 'list', '--state', 'closed']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Allowed choices are open, retried, dropped, all/);
  });

  test('dlq show, retry and drop: what the server said, a refusal is exit 1 with its code', { timeout: 20_000 }, async () => {
    const shown = await run(['dlq', 'show', DLQ]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /state:\s+open/);
    assert.match(shown.stdout, new RegExp(`run:\\s+${RUN} \\(succeeded\\)`));
    assert.match(shown.stdout, /candidate:\s+Tidal share = 2.5 %/);
    assert.ok(!shown.stdout.includes('\u001b'));

    const retried = await run(['dlq', 'retry', DLQ]);
    assert.equal(retried.code, 0, retried.stderr);
    assert.equal(retried.stdout, `retried ${DLQ}: the candidate verified and was added to the result of run ${RUN}\n`);
    assert.deepEqual([seen.at(-1)?.method, seen.at(-1)?.url], ['POST', `/v1/admin/dlq/${DLQ}/retry`]);

    const dropped = await run(['dlq', 'drop', DLQ]);
    assert.equal(dropped.code, 1);
    assert.equal(dropped.stderr, `stats-agent: conflict: dead letter ${DLQ} is already retried\n`);
    assert.equal(seen.at(-1)?.method, 'DELETE');
  });

  test('subjects erase: needs --yes, sends the owner URL-encoded, reports counts and whether the cache was reached', { timeout: 20_000 }, async () => {
    const before = seen.length;
    const refused = await run(['subjects', 'erase', 'jwt:user/7']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /pass --yes/);
    assert.equal(seen.length, before, 'nothing was sent');

    const r = await run(['subjects', 'erase', 'jwt:user/7', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([seen.at(-1)?.method, seen.at(-1)?.url], ['DELETE', '/v1/subjects/jwt%3Auser%2F7']);
    assert.equal(r.stdout, 'erased jwt:user/7: 2 runs, 6 steps, 9 items, 12 events, 1 dead letters\ncache: 2 topic(s) forgotten (2 entries)\n');

    const down = await run(['subjects', 'erase', 'api_key:cache-down', '--yes']);
    assert.equal(down.code, 0);
    assert.match(down.stdout, /cache: NOT reached — the research agent is unavailable/);
  });

  test('authentication: no key says how to give one, a key without the admin scope says which scope, --api-key-file is read', { timeout: 20_000 }, async () => {
    const none = await run(['dlq', 'list'], null);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /auth_required: .*STATS_AGENT_API_KEY/);
    const reader = await run(['dlq', 'list'], READ_KEY);
    assert.equal(reader.code, 1);
    assert.match(reader.stderr, /insufficient_scope: .*stats:admin/);
    assert.ok(!reader.stderr.includes(READ_KEY), 'the key is never printed');
    const file = join(dir, 'admin.key');
    await writeFile(file, `${ADMIN_KEY}\n`);
    const fromFile = await run(['dlq', 'list', '--api-key-file', file], null);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(seen.at(-1)?.auth, `Bearer ${ADMIN_KEY}`);
  });
});
