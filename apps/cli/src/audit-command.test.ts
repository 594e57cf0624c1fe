import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AuditLog } from '@stats-agent/audit';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const T = { timeout: 30_000 };
const KEY = 'cli-audit-test-key-0123456789abcdef012345';

/** Runs the real CLI in a child process; resolves to its exit code and output. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let dir: string;
let n = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-audit-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeLog(records: number, hmacKey?: string): Promise<string> {
  const file = join(dir, `log-${++n}`, 'audit.jsonl');
  const log = await AuditLog.open({ file, hmacKey });
  for (let i = 0; i < records; i++) {
    await log.append({ actor: { kind: 'api_key', id: 'key_cli' }, action: 'run.created', resource: `run:run_${i}`, outcome: 'success', request_id: `req-${i}` });
  }
  await log.close();
  return file;
}

async function editLines(file: string, edit: (lines: string[]) => string[]): Promise<void> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
  await writeFile(file, edit(lines).join('\n') + '\n');
}

describe('stats-agent audit verify', () => {
  test('an intact log: exit 0, the head found beside it', T, async () => {
    const file = await writeLog(5);
    const r = await cli(['audit', 'verify', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /intact — 6 records, seq 1–6; head seq 6 matches/);
  });

  test('a deleted middle record: exit 4, the line and seq named', T, async () => {
    const file = await writeLog(5);
    await editLines(file, (l) => l.filter((_, i) => i !== 2));
    const r = await cli(['audit', 'verify', file]);
    assert.equal(r.code, 4);
    assert.match(r.stdout, /TAMPERED — 1 problem/);
    assert.match(r.stdout, /line 3 \(seq 3\)\s+deleted\s+seq 3 deleted: missing between line 2 \(seq 2\) and line 3 \(seq 4\)/);
  });

  test('the last record deleted: the head checkpoint catches it; --no-head cannot, and says so', T, async () => {
    const file = await writeLog(3);
    await editLines(file, (l) => l.slice(0, -1));
    const r = await cli(['audit', 'verify', file]);
    assert.equal(r.code, 4);
    assert.match(r.stdout, /truncated/);
    const blind = await cli(['audit', 'verify', '--no-head', file]);
    assert.equal(blind.code, 0);
    assert.match(blind.stdout, /no head checkpoint — records deleted from the end cannot be detected/);
  });

  test('--json: the problems as data; --head names another head file', T, async () => {
    const file = await writeLog(4);
    await editLines(file, (l) => [l[0] as string, l[2] as string, l[1] as string, ...l.slice(3)]);
    const headCopy = join(dir, 'elsewhere.head');
    await writeFile(headCopy, await readFile(`${file}.head`));
    const r = await cli(['audit', 'verify', '--json', '--head', headCopy, file]);
    assert.equal(r.code, 4);
    const out = JSON.parse(r.stdout) as { ok: boolean; files: Array<{ head_file: string; problems: Array<{ kind: string; line: number; seq: number }> }> };
    assert.equal(out.ok, false);
    assert.equal(out.files[0]?.head_file, headCopy);
    assert.deepEqual(out.files[0]?.problems.map((p) => [p.kind, p.line, p.seq]), [['reordered', 2, 3]]);
  });

  test('a keyed log: the key from AUDIT_HMAC_KEY or --hmac-key-file; without it, exit 1 saying so', T, async () => {
    const file = await writeLog(2, KEY);
    const none = await cli(['audit', 'verify', file]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /keyed \(hmac-sha256\): give the key/);
    assert.equal((await cli(['audit', 'verify', file], { AUDIT_HMAC_KEY: KEY })).code, 0);
    const keyFile = join(dir, 'key');
    await writeFile(keyFile, `${KEY}\n`);
    const viaFile = await cli(['audit', 'verify', '--hmac-key-file', keyFile, file]);
    assert.equal(viaFile.code, 0, viaFile.stderr);
    assert.match(viaFile.stdout, /keyed \(HMAC\)/);
    const wrong = await cli(['audit', 'verify', file], { AUDIT_HMAC_KEY: 'w'.repeat(40) });
    assert.equal(wrong.code, 4);
    assert.ok(!wrong.stdout.includes('w'.repeat(40)) && !wrong.stderr.includes('w'.repeat(40)), 'the key is never printed');
  });

  test('--segments verifies every segment in order and finds records cut from the end of a closed one', T, async () => {
    const file = join(dir, `log-${++n}`, 'audit.jsonl');
    const log = await AuditLog.open({ file, maxSegmentBytes: 4096 });
    for (let i = 0; i < 30; i++) await log.append({ actor: { kind: 'system', id: 'test' }, action: 'secret.loaded', resource: `secret:KEY_${i}`, outcome: 'success' });
    await log.close();
    const ok = await cli(['audit', 'verify', '--segments', file]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /audit\.2\.jsonl: intact/);
    // Cut the last record of segment 1 and rewrite its head to match: segment 1 alone looks intact…
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    await writeFile(file, lines.slice(0, -1).join('\n') + '\n');
    const last = JSON.parse(lines[lines.length - 2] as string) as { seq: number; hash: string; alg: string };
    await writeFile(`${file}.head`, JSON.stringify({ v: 1, alg: last.alg, seq: last.seq, hash: last.hash, time: new Date().toISOString() }));
    assert.equal((await cli(['audit', 'verify', file])).code, 0);
    // …but segment 2 says where it ended.
    const r = await cli(['audit', 'verify', '--segments', file]);
    assert.equal(r.code, 4);
    assert.match(r.stdout, /audit\.2\.jsonl: TAMPERED[\s\S]*line 1 .*truncated .*records were cut from its end/);
    // A whole segment left out is named.
    const third = join(dir, `log-${n}`, 'audit.3.jsonl');
    const skip = await cli(['audit', 'verify', file, third]);
    assert.equal(skip.code, 4);
    assert.match(skip.stdout, /this segment follows audit\.2\.jsonl, not audit\.jsonl: a segment is missing/);
  });

  test('usage errors exit 1: a missing file, a bad head file, --head with several files, no file', T, async () => {
    const file = await writeLog(1);
    const missing = await cli(['audit', 'verify', join(dir, 'nope.jsonl')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.jsonl: cannot read/);
    const badHead = join(dir, 'bad.head');
    await writeFile(badHead, '{"seq":"x"}');
    const bh = await cli(['audit', 'verify', '--head', badHead, file]);
    assert.equal(bh.code, 1);
    assert.match(bh.stderr, /not a head checkpoint/);
    assert.equal((await cli(['audit', 'verify', '--head', `${file}.head`, file, file])).code, 1);
    assert.equal((await cli(['audit', 'verify'])).code, 1);
  });
});
