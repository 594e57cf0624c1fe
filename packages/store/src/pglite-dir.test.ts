// PGlite in a directory: the data survives a SIGKILL and a close, a killed run is resumed from
// its last completed step, and the directory lock keeps a second store out.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { StoreError } from './errors.js';
import { openStore } from './open.js';
import type { RunStore } from './store.js';
import { rejectsWith } from './test-support/repository-suite.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'stats-agent-store-'));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const CHILD = `
const [, indexUrl, dataDir] = process.argv;
const { openStore } = await import(indexUrl);
const store = await openStore({ dataDir });
const run = await store.createRun({ id: 'run_killed', owner: 'subject-1', workflowVersion: 'v1', input: { topic: 'tides' }, lease: { owner: 'child', ms: 200 } });
await store.completeStep(run.id, 0, 'research', 'run_killed:0:research', { urls: ['https://tides.example/a'] });
await store.upsertItems(run.id, 0, [{ key: 'a', candidate: { v: 1 } }, { key: 'b', candidate: { v: 2 } }]);
await store.markItems(run.id, [{ key: 'a', status: 'verified', verdict: { ok: true } }, { key: 'b', status: 'processing' }]);
await store.appendEvent(run.id, 'progress', { stage: 'verification' });
process.stdout.write('ready\\n');
setInterval(() => {}, 60_000);
`;

async function runChildUntilReadyThenKill(dataDir: string): Promise<void> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, new URL('./index.js', import.meta.url).href, dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('ready\n')) resolve();
      });
      void exited.then((code) => reject(new Error(`the child exited (${code}) before it was ready: ${err.slice(-2000)}`)));
    });
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

test('a store killed with SIGKILL is resumed: stale lock taken over, completed step reused, items and events kept; data survives close and reopen', { timeout: 150_000 }, async () => {
  const dir = await tempDir();
  await runChildUntilReadyThenKill(dir);
  const lock = JSON.parse(await readFile(join(dir, 'store.lock'), 'utf8')) as { pid: number };
  assert.notEqual(lock.pid, process.pid, 'the killed process left its lock behind');

  const store = await openStore({ dataDir: dir });
  try {
    // The child's lease (200 ms) has lapsed by now; the loop only guards a very slow clock.
    let resumed = null;
    for (let i = 0; i < 50 && resumed === null; i++) {
      const { claimed } = await store.claimResumable('parent', 60_000);
      resumed = claimed.find((r) => r.id === 'run_killed') ?? null;
      if (resumed === null) await sleep(100);
    }
    assert.equal(resumed?.status, 'running');
    assert.equal(resumed?.leaseOwner, 'parent');
    assert.equal(resumed?.attempts, 2);
    const steps = await store.completedSteps('run_killed');
    assert.deepEqual(steps.map((s) => [s.stage, s.output]), [['research', { urls: ['https://tides.example/a'] }]]);
    const again = await store.beginStep('run_killed', 0, 'research', 'run_killed:0:research');
    assert.equal(again.status, 'completed', 'the resumed run does not redo the completed step');
    const items = await store.itemsOf('run_killed');
    assert.deepEqual(items.map((i) => [i.key, i.status]), [['a', 'verified'], ['b', 'processing']]);
    assert.deepEqual(await store.markItems('run_killed', [{ key: 'a', status: 'processing' }]), [], 'the finished item is not repeated');
    assert.equal((await store.appendEvent('run_killed', 'progress', { stage: 'resumed' })).seq, 2);

    // While it is open, a second store on the directory is refused at once.
    await rejectsWith(openStore({ dataDir: dir }), 'STORE_ERR_LOCKED', /held by another store in this process/);
    await store.finishRun('run_killed', 'succeeded', { result: { verified_count: 1 }, leaseOwner: 'parent' });
  } finally {
    await store.close();
  }
  assert.equal(existsSync(join(dir, 'store.lock')), false, 'close releases the lock');

  // Two opens at the same moment: exactly one gets the directory.
  const raced = await Promise.allSettled([openStore({ dataDir: dir }), openStore({ dataDir: dir })]);
  const winners = raced.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const losers = raced.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  assert.equal(winners.length, 1);
  assert.ok(losers[0] instanceof StoreError && losers[0].code === 'STORE_ERR_LOCKED');
  const reopened = winners[0] as RunStore;
  try {
    assert.deepEqual(reopened.migration.applied, []);
    const run = await reopened.getRun('run_killed', 'subject-1');
    assert.equal(run?.status, 'succeeded');
    assert.deepEqual(run?.result, { verified_count: 1 });
    assert.equal((await reopened.eventsAfter('run_killed')).length, 2);

    // Erasure on PGlite leaves no byte of the subject's data in any file of the directory (WAL included).
    assert.ok((await filesContaining(dir, 'tides.example')).length > 0, 'the scan finds the data before erasure');
    assert.equal((await reopened.eraseSubject('subject-1')).runs, 1);
    assert.deepEqual(await filesContaining(dir, 'tides.example'), []);
    assert.deepEqual(await filesContaining(dir, 'subject-1'), []);
  } finally {
    await reopened.close();
  }
});

async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await readFile(path)).includes(needle)) hits.push(path);
  }
  return hits;
}

test('a directory locked by another live process is refused, naming the holder', { timeout: 30_000 }, async () => {
  const dir = await tempDir();
  await mkdir(join(dir, 'pgdata'), { recursive: true });
  await writeFile(join(dir, 'store.lock'), JSON.stringify({ pid: process.ppid, host: hostname(), at: '2026-01-01T00:00:00.000Z' }));
  await rejectsWith(openStore({ dataDir: dir }), 'STORE_ERR_LOCKED', new RegExp(`held by pid ${process.ppid} on `));
  // On another host we cannot tell whether it is alive: refused as well.
  await writeFile(join(dir, 'store.lock'), JSON.stringify({ pid: 999_999_999, host: 'elsewhere.example', at: '2026-01-01T00:00:00.000Z' }));
  await rejectsWith(openStore({ dataDir: dir }), 'STORE_ERR_LOCKED', /elsewhere\.example/);
  // An empty lock file just created: another process is taking it at this moment.
  await writeFile(join(dir, 'store.lock'), '');
  await rejectsWith(openStore({ dataDir: dir }), 'STORE_ERR_LOCKED', /being taken by another process/);
});
