/**
 * The repository suite, written once and run against every driver (pglite-suite.test.ts,
 * postgres.test.ts). Tests in one file run in order and share one database; each test works on
 * its own runs and owners.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { Queryable } from '../driver.js';
import { StoreError, type StoreErrorCode } from '../errors.js';
import { MIGRATIONS, type Migration } from '../migrations.js';
import { startRetention } from '../retention.js';
import type { RunStore } from '../store.js';

export interface SuiteTarget {
  /** Opens another store on the suite's database. */
  open(opts?: { migrations?: readonly Migration[] }): Promise<RunStore>;
  /** Raw SQL on the same database, beside the store (checks, backdating, tampering). */
  sql: Queryable;
  /** The migration result of the very first open of the (empty) database. */
  firstOpen: { version: number; applied: number[] };
  /** The store the tests use. */
  store: RunStore;
}

const T = { timeout: 30_000 };

export async function rejectsWith(p: Promise<unknown>, code: StoreErrorCode, message?: RegExp): Promise<StoreError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof StoreError, `expected a StoreError ${code}, got ${caught === undefined ? 'no error' : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message !== undefined) assert.match(caught.message, message);
  return caught;
}

let counter = 0;
const uniq = (p: string): string => `${p}-${process.pid}-${++counter}`;

export function repositorySuite(name: string, target: () => SuiteTarget): void {
  const t = (): SuiteTarget => target();
  const store = (): RunStore => target().store;
  const sql = (): Queryable => target().sql;

  describe(`${name}: migrations`, () => {
    test('the first open of an empty database applies every migration; the next one applies none', T, async () => {
      assert.deepEqual(t().firstOpen.applied, MIGRATIONS.map((m) => m.version));
      const again = await t().open();
      try {
        assert.deepEqual(again.migration.applied, []);
        assert.equal(again.migration.version, MIGRATIONS.at(-1)?.version);
      } finally {
        await again.close();
      }
      const { rows } = await sql().query('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => Number(r['version'])), MIGRATIONS.map((m) => m.version));
      const tables = await sql().query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`);
      assert.deepEqual(
        tables.rows.map((r) => r['table_name']),
        ['audit_records', 'dead_letters', 'items', 'run_events', 'runs', 'schema_migrations', 'steps'],
      );
    });

    test('stores opened at the same moment with a new migration apply it exactly once', T, async () => {
      const next: Migration = { version: 2, name: 'probe', statements: ['CREATE TABLE migration_probe (id integer PRIMARY KEY)', 'INSERT INTO migration_probe VALUES (1)'] };
      const list = [...MIGRATIONS, next];
      const stores = await Promise.all([t().open({ migrations: list }), t().open({ migrations: list }), t().open({ migrations: list })]);
      try {
        const applied = stores.map((s) => s.migration.applied);
        assert.equal(applied.filter((a) => a.length === 1 && a[0] === 2).length, 1, JSON.stringify(applied));
        assert.equal(applied.filter((a) => a.length === 0).length, 2, JSON.stringify(applied));
        const { rows } = await sql().query('SELECT count(*) AS n FROM migration_probe');
        assert.equal(Number(rows[0]?.['n']), 1);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    test('a database newer than the code, or with an edited migration, is refused and left unchanged', T, async () => {
      // The database is now at version 2 (previous test); this code knows only version 1.
      await rejectsWith(t().open(), 'STORE_ERR_SCHEMA', /schema is at version 2, newer than this code knows \(1\)/);
      const still = await sql().query('SELECT count(*) AS n FROM migration_probe');
      assert.equal(Number(still.rows[0]?.['n']), 1);
      await sql().query('DELETE FROM schema_migrations WHERE version = 2');
      await sql().query('DROP TABLE migration_probe');

      const { rows } = await sql().query('SELECT checksum FROM schema_migrations WHERE version = 1');
      const checksum = String(rows[0]?.['checksum']);
      await sql().query(`UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1`);
      try {
        await rejectsWith(t().open(), 'STORE_ERR_SCHEMA', /migration 1 .* differs/);
      } finally {
        await sql().query('UPDATE schema_migrations SET checksum = $1 WHERE version = 1', [checksum]);
      }
      const ok = await t().open();
      await ok.close();
    });
  });

  describe(`${name}: runs and leases`, () => {
    test('a run is created queued, read only by its owner, listed newest first', T, async () => {
      const owner = uniq('owner');
      const a = await store().createRun({ owner, workflowVersion: 'v1', input: { topic: 'solar capacity', min_verified_stats: 3 } });
      const b = await store().createRun({ id: uniq('run'), owner, workflowVersion: 'v2', input: { topic: 'wind' } });
      assert.match(a.id, /^run_[0-9a-f-]{36}$/);
      assert.equal(a.status, 'queued');
      assert.equal(a.attempts, 0);
      assert.equal(a.leaseOwner, null);
      assert.deepEqual(a.input, { topic: 'solar capacity', min_verified_stats: 3 });
      assert.ok(!Number.isNaN(Date.parse(a.createdAt)));
      assert.deepEqual(await store().getRun(a.id, owner), a);
      assert.equal(await store().getRun(a.id, 'someone-else'), null);
      assert.equal(await store().getRun('run_missing'), null);
      const list = await store().listRuns(owner);
      assert.deepEqual(new Set(list.map((r) => r.id)), new Set([a.id, b.id]));
      assert.deepEqual((await store().listRuns(owner, { limit: 1 })).length, 1);
      assert.deepEqual(await store().listRuns(uniq('nobody')), []);
      await rejectsWith(store().createRun({ id: b.id, owner, workflowVersion: 'v1', input: {} }), 'STORE_ERR_CONFLICT');
      for (const id of [a.id, b.id]) await store().finishRun(id, 'cancelled');
    });

    test('bad arguments are clear errors, and text Postgres cannot hold is made storable', T, async () => {
      await rejectsWith(store().createRun({ owner: '', workflowVersion: 'v1', input: {} }), 'STORE_ERR_INVALID_INPUT', /owner/);
      await rejectsWith(store().createRun({ owner: 'o', workflowVersion: 'v1', input: undefined }), 'STORE_ERR_INVALID_INPUT', /input is not JSON/);
      await rejectsWith(store().createRun({ owner: 'o', workflowVersion: 'v1', input: { n: 1n } }), 'STORE_ERR_INVALID_INPUT');
      await rejectsWith(store().createRun({ owner: 'o', workflowVersion: 'v1', input: 'x'.repeat(5 * 1024 * 1024) }), 'STORE_ERR_TOO_LARGE');
      await rejectsWith(store().claimRun('r', 'w', 0), 'STORE_ERR_INVALID_INPUT', /leaseMs/);
      await rejectsWith(store().listRuns('o', { limit: 0 }), 'STORE_ERR_INVALID_INPUT', /limit/);
      await rejectsWith(store().listRuns('o', { limit: 1.5 }), 'STORE_ERR_INVALID_INPUT', /limit/);
      const run = await store().createRun({ owner: uniq('o'), workflowVersion: 'v1', input: { topic: 'nul\u0000here', lone: 'a\uD800b', 'key\u0000': 1, ok: '😀' } });
      assert.deepEqual(run.input, { topic: 'nul\uFFFDhere', lone: 'a\uFFFDb', 'key\uFFFD': 1, ok: '😀' });
      await store().finishRun(run.id, 'cancelled');
    });

    test('a claimed run is held by its lease; when the lease expires another worker resumes it', T, async () => {
      const owner = uniq('owner');
      const run = await store().createRun({ owner, workflowVersion: 'v1', input: {} });
      const claimed = await store().claimRun(run.id, 'worker-a', 60_000);
      assert.equal(claimed?.status, 'running');
      assert.equal(claimed?.leaseOwner, 'worker-a');
      assert.equal(claimed?.attempts, 1);
      assert.ok(claimed?.startedAt);
      assert.ok(Date.parse(claimed?.leaseExpiresAt ?? '') > Date.parse(claimed?.updatedAt ?? ''));
      assert.equal(await store().claimRun(run.id, 'worker-b', 60_000), null, 'a live lease is not taken');
      const { claimed: none } = await store().claimResumable('worker-b', 60_000, { limit: 1000 });
      assert.ok(!none.some((r) => r.id === run.id));
      assert.equal(await store().renewLease(run.id, 'worker-a', 1), true);
      assert.equal(await store().renewLease(run.id, 'worker-b', 60_000), false);

      await sleep(30); // worker-a "died": its 1 ms lease has lapsed
      const { claimed: resumed } = await store().claimResumable('worker-b', 60_000, { limit: 1000 });
      const mine = resumed.find((r) => r.id === run.id);
      assert.equal(mine?.leaseOwner, 'worker-b');
      assert.equal(mine?.attempts, 2);
      assert.equal(mine?.startedAt, claimed?.startedAt, 'started_at is the first start');
      assert.equal(await store().renewLease(run.id, 'worker-a', 60_000), false, 'the old worker learns it lost the run');
      assert.equal(await store().finishRun(run.id, 'succeeded', { result: { ok: true }, leaseOwner: 'worker-a' }), null);
      const done = await store().finishRun(run.id, 'succeeded', { result: { verified_count: 3 }, leaseOwner: 'worker-b' });
      assert.equal(done?.status, 'succeeded');
      assert.deepEqual(done?.result, { verified_count: 3 });
      assert.equal(done?.leaseOwner, null);
      assert.ok(done?.finishedAt);
      assert.equal(await store().finishRun(run.id, 'failed', { error: { code: 'x' } }), null, 'a final state is never overwritten');
      assert.equal(await store().claimRun(run.id, 'worker-c', 60_000), null);
      assert.equal((await store().getRun(run.id))?.status, 'succeeded');
    });

    test('a run created under a lease is running at once; a requeued run keeps its error and is claimed again', T, async () => {
      const run = await store().createRun({ owner: uniq('o'), workflowVersion: 'v1', input: {}, lease: { owner: 'api-1', ms: 60_000 } });
      assert.equal(run.status, 'running');
      assert.equal(run.attempts, 1);
      assert.equal(await store().claimRun(run.id, 'api-2', 60_000), null);
      assert.equal(await store().requeueRun(run.id, 'api-2', { code: 'x' }), false);
      assert.equal(await store().requeueRun(run.id, 'api-1', { code: 'agent_unavailable', message: 'research unavailable' }), true);
      const queued = await store().getRun(run.id);
      assert.equal(queued?.status, 'queued');
      assert.deepEqual(queued?.error, { code: 'agent_unavailable', message: 'research unavailable' });
      const again = await store().claimRun(run.id, 'api-2', 60_000);
      assert.equal(again?.attempts, 2);
      assert.equal(await store().incrementAttempts(run.id), 3);
      await rejectsWith(store().incrementAttempts('run_missing'), 'STORE_ERR_NOT_FOUND');
      const failed = await store().finishRun(run.id, 'failed', { error: { code: 'boom' } });
      assert.deepEqual(failed?.error, { code: 'boom' });
    });

    test('a run abandoned maxAttempts times is dead-lettered instead of claimed again', T, async () => {
      const owner = uniq('owner');
      const run = await store().createRun({ owner, workflowVersion: 'v3', input: {}, lease: { owner: 'crashy-1', ms: 1 } });
      await sleep(20);
      const first = await store().claimResumable('crashy-2', 1, { limit: 1000, maxAttempts: 2 });
      assert.ok(first.claimed.some((r) => r.id === run.id && r.attempts === 2));
      await sleep(20);
      const second = await store().claimResumable('crashy-3', 60_000, { limit: 1000, maxAttempts: 2 });
      assert.ok(!second.claimed.some((r) => r.id === run.id));
      const dead = second.dead.find((r) => r.id === run.id);
      assert.equal(dead?.status, 'dead');
      assert.equal((dead?.error as { code?: string } | null)?.code, 'attempts_exhausted');
      const [dl] = await store().listDeadLetters({ runId: run.id });
      assert.equal(dl?.kind, 'run');
      assert.equal(dl?.owner, owner);
      assert.equal(dl?.attempts, 2);
      assert.equal(dl?.state, 'open');
      assert.deepEqual(dl?.context, { reason: 'attempts_exhausted', workflow_version: 'v3', last_lease_owner: 'crashy-2' });
    });
  });

  describe(`${name}: steps and items`, () => {
    test('completing a step is idempotent: the same key again returns the first output and changes nothing', T, async () => {
      const run = await store().createRun({ owner: uniq('o'), workflowVersion: 'v1', input: {} });
      const key = `${run.id}:0:research`;
      const begun = await store().beginStep(run.id, 0, 'research', key);
      assert.equal(begun.status, 'running');
      assert.equal(begun.attempts, 1);
      const done = await store().completeStep(run.id, 0, 'research', key, { urls: ['https://a.example/1'] });
      assert.equal(done.status, 'completed');
      assert.deepEqual(done.output, { urls: ['https://a.example/1'] });
      const repeat = await store().completeStep(run.id, 0, 'research', key, { urls: ['https://other.example/'] });
      assert.deepEqual(repeat, done);
      const resumed = await store().beginStep(run.id, 0, 'research', key);
      assert.deepEqual(resumed, done, 'a resumed run finds the step completed and reuses its output');
      assert.equal(await store().failStep(key, { code: 'late' }), null, 'a completed step does not fail afterwards');
      await rejectsWith(store().completeStep(run.id, 1, 'research', key, { x: 1 }), 'STORE_ERR_CONFLICT', /belongs to another step/);
      await rejectsWith(store().completeStep('run_missing', 0, 'research', uniq('k'), { x: 1 }), 'STORE_ERR_NOT_FOUND');
      await rejectsWith(store().completeStep(run.id, 0, 'research', uniq('k'), null), 'STORE_ERR_INVALID_INPUT');
      await rejectsWith(store().beginStep(run.id, 0, 'quality' as 'research', uniq('k')), 'STORE_ERR_INVALID_INPUT', /stage/);

      // A failed attempt, then a retry, then completion; steps listed in workflow order.
      const vKey = `${run.id}:0:verification`;
      await store().beginStep(run.id, 0, 'verification', vKey);
      const failed = await store().failStep(vKey, { code: 'deadline' });
      assert.equal(failed?.status, 'failed');
      const retry = await store().beginStep(run.id, 0, 'verification', vKey);
      assert.equal(retry.status, 'running');
      assert.equal(retry.attempts, 2);
      assert.equal(retry.error, null);
      await store().completeStep(run.id, 0, 'verification', vKey, { verdicts: [] });
      await store().completeStep(run.id, 1, 'research', `${run.id}:1:research`, { urls: [] });
      await store().completeStep(run.id, 0, 'synthesis', `${run.id}:0:synthesis`, { candidates: [] });
      const steps = await store().completedSteps(run.id);
      assert.deepEqual(steps.map((s) => `${s.round}:${s.stage}`), ['0:research', '0:synthesis', '0:verification', '1:research']);
      assert.deepEqual(await store().getStep(vKey), steps[2]);

      // Racing completions of one key: one output wins and every caller gets it.
      const raceKey = `${run.id}:2:synthesis`;
      const results = await Promise.all([1, 2, 3, 4, 5].map((n) => store().completeStep(run.id, 2, 'synthesis', raceKey, { n })));
      assert.equal(new Set(results.map((r) => JSON.stringify(r.output))).size, 1);
      await store().finishRun(run.id, 'cancelled');
    });

    test('items are added once, move forward, and never leave verified or failed', T, async () => {
      const run = await store().createRun({ owner: uniq('o'), workflowVersion: 'v1', input: {} });
      const c = (n: number) => ({ name: `stat ${n}`, value: n, unit: '%', source_url: `https://s.example/${n}` });
      assert.equal(await store().upsertItems(run.id, 0, [{ key: 'a', candidate: c(1) }, { key: 'b', candidate: c(2) }, { key: 'a', candidate: c(9) }]), 2);
      assert.equal(await store().upsertItems(run.id, 1, [{ key: 'b', candidate: c(99) }, { key: 'c', candidate: c(3) }]), 1, 'existing keys are untouched');
      let items = await store().itemsOf(run.id);
      assert.deepEqual(items.map((i) => [i.key, i.round, i.status, (i.candidate as { value: number }).value]), [
        ['a', 0, 'pending', 1],
        ['b', 0, 'pending', 2],
        ['c', 1, 'pending', 3],
      ]);
      const processing = await store().markItems(run.id, [{ key: 'a', status: 'processing' }, { key: 'b', status: 'processing' }, { key: 'zz', status: 'processing' }]);
      assert.deepEqual(processing.map((i) => [i.key, i.attempts]).sort(), [['a', 1], ['b', 1]]);
      const verdict = { status: 'verified', offsets: [10, 42] };
      await store().markItems(run.id, [
        { key: 'a', status: 'verified', verdict },
        { key: 'b', status: 'failed', reason: 'excerpt_not_found' },
        { key: 'c', status: 'processing' },
      ]);
      // Late and repeated updates: ignored for final items, applied to the one still in progress.
      const late = await store().markItems(run.id, [
        { key: 'a', status: 'failed', reason: 'value_mismatch' },
        { key: 'b', status: 'pending' },
        { key: 'b', status: 'verified' },
        { key: 'c', status: 'pending', reason: 'source_unreachable' },
      ]);
      assert.deepEqual(late.map((i) => [i.key, i.status]), [['c', 'pending']]);
      items = await store().itemsOf(run.id);
      assert.deepEqual(items.map((i) => [i.key, i.status, i.reason]), [
        ['a', 'verified', null],
        ['b', 'failed', 'excerpt_not_found'],
        ['c', 'pending', 'source_unreachable'],
      ]);
      assert.deepEqual(items[0]?.verdict, verdict);
      assert.deepEqual((await store().itemsOf(run.id, { status: 'failed' })).map((i) => i.key), ['b']);
      assert.equal(await store().incrementAttempts(run.id, 'c'), 2);
      // Added straight to processing (as the orchestrator hands them to the verifier): new ones
      // start with one attempt, an unfinished one moves there with another, final ones stay.
      assert.equal(await store().upsertItems(run.id, 2, [{ key: 'c', candidate: c(3) }, { key: 'a', candidate: c(1) }, { key: 'd', candidate: c(4) }], { processing: true }), 1);
      assert.deepEqual((await store().itemsOf(run.id)).map((i) => [i.key, i.status, i.attempts]), [
        ['a', 'verified', 1],
        ['b', 'failed', 1],
        ['c', 'processing', 3],
        ['d', 'processing', 1],
      ]);
      await rejectsWith(store().upsertItems('run_missing', 0, [{ key: 'x', candidate: {} }]), 'STORE_ERR_NOT_FOUND');
      await rejectsWith(
        store().upsertItems(run.id, 0, Array.from({ length: 1001 }, (_, i) => ({ key: `k${i}`, candidate: {} }))),
        'STORE_ERR_TOO_LARGE',
      );
      await rejectsWith(store().markItems(run.id, [{ key: 'a', status: 'done' as 'verified' }]), 'STORE_ERR_INVALID_INPUT', /status/);
      assert.equal(await store().upsertItems(run.id, 0, []), 0);
      await store().finishRun(run.id, 'succeeded', { result: {} });
    });
  });

  describe(`${name}: events`, () => {
    test('event seq is 1, 2, 3… per run without gaps, also under concurrent appends; replay starts after a seq', T, async () => {
      const run = await store().createRun({ owner: uniq('o'), workflowVersion: 'v1', input: {} });
      const other = await store().createRun({ owner: uniq('o'), workflowVersion: 'v1', input: {} });
      const first = await store().appendEvent(run.id, 'progress', { stage: 'research', round: 0 });
      assert.equal(first.seq, 1);
      assert.equal((await store().appendEvent(other.id, 'progress', { stage: 'x' })).seq, 1, 'seq is per run');
      const many = await Promise.all(Array.from({ length: 20 }, (_, i) => store().appendEvent(run.id, 'progress', { n: i })));
      assert.deepEqual(many.map((e) => e.seq).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 2));
      const done = await store().appendEvent(run.id, 'done', { status: 'succeeded' });
      assert.equal(done.seq, 22);
      const replay = await store().eventsAfter(run.id, 19);
      assert.deepEqual(replay.map((e) => e.seq), [20, 21, 22]);
      assert.deepEqual(replay.at(-1)?.data, { status: 'succeeded' });
      assert.deepEqual((await store().eventsAfter(run.id, 0, { limit: 2 })).map((e) => e.seq), [1, 2]);
      const all = await store().eventsAfter(run.id);
      assert.equal(all.length, 22);
      const after = await store().getRun(run.id);
      assert.equal(after?.lastEventSeq, 22);
      assert.equal(typeof (after?.progress as { n?: number } | null)?.n, 'number', 'the newest progress event is the run progress');
      await rejectsWith(store().appendEvent('run_missing', 'progress', {}), 'STORE_ERR_NOT_FOUND');
      for (const id of [run.id, other.id]) await store().finishRun(id, 'cancelled');
    });
  });

  describe(`${name}: dead letters`, () => {
    test('an item and a run go to the dead-letter queue, are listed, retried or dropped once', T, async () => {
      const owner = uniq('dlq-owner');
      const run = await store().createRun({ owner, workflowVersion: 'v1', input: {}, lease: { owner: 'w', ms: 60_000 } });
      await store().upsertItems(run.id, 0, [{ key: 'poison', candidate: { name: 'p' } }, { key: 'good', candidate: { name: 'g' } }]);
      for (let i = 0; i < 3; i++) await store().markItems(run.id, [{ key: 'poison', status: 'processing' }]);
      const dl = await store().deadLetter({ kind: 'item', runId: run.id, itemKey: 'poison', lastError: 'verification: DEADLINE_EXCEEDED', context: { stage: 'verification', code: 'DEADLINE_EXCEEDED' } });
      assert.match(dl.id, /^dlq_/);
      assert.equal(dl.state, 'open');
      assert.equal(dl.attempts, 3);
      assert.equal(dl.owner, owner);
      assert.equal(dl.itemKey, 'poison');
      const again = await store().deadLetter({ kind: 'item', runId: run.id, itemKey: 'poison', lastError: 'again', context: {} });
      assert.equal(again.id, dl.id, 'one open dead letter per item');
      assert.equal(again.lastError, 'again');
      const items = await store().itemsOf(run.id);
      assert.deepEqual(items.map((i) => [i.key, i.status, i.reason]), [['poison', 'failed', 'dead_lettered'], ['good', 'pending', null]]);

      assert.deepEqual((await store().listDeadLetters({ owner, state: 'open' })).map((d) => d.id), [dl.id]);
      assert.deepEqual(await store().listDeadLetters({ owner, kind: 'run' }), []);
      assert.deepEqual(await store().getDeadLetter(dl.id), again);
      assert.equal(await store().getDeadLetter('dlq_missing'), null);

      // The run itself keeps failing.
      const runDl = await store().deadLetter({ kind: 'run', runId: run.id, lastError: 'orchestration: agents unavailable' });
      assert.equal(runDl.kind, 'run');
      const dead = await store().getRun(run.id);
      assert.equal(dead?.status, 'dead');
      assert.equal(dead?.leaseOwner, null);
      assert.equal((await store().listDeadLetters({ owner, state: 'open' })).length, 2);

      // Retrying the item re-opens it and queues its dead run again.
      const retried = await store().markDeadLetter(dl.id, 'retried');
      assert.equal(retried.state, 'retried');
      const poison = (await store().itemsOf(run.id)).find((i) => i.key === 'poison');
      assert.equal(poison?.status, 'pending');
      assert.equal(poison?.attempts, 0);
      const requeued = await store().getRun(run.id);
      assert.equal(requeued?.status, 'queued');
      assert.equal(requeued?.attempts, 0);
      assert.equal(requeued?.finishedAt, null);
      await rejectsWith(store().markDeadLetter(dl.id, 'dropped'), 'STORE_ERR_CONFLICT', /already retried/);
      const dropped = await store().markDeadLetter(runDl.id, 'dropped');
      assert.equal(dropped.state, 'dropped');
      assert.deepEqual(await store().listDeadLetters({ owner, state: 'open' }), []);
      await rejectsWith(store().markDeadLetter('dlq_missing', 'retried'), 'STORE_ERR_NOT_FOUND');
      await rejectsWith(store().deadLetter({ kind: 'item', runId: run.id, itemKey: 'nope', lastError: 'x' }), 'STORE_ERR_NOT_FOUND');
      await rejectsWith(store().deadLetter({ kind: 'run', runId: 'run_missing', lastError: 'x' }), 'STORE_ERR_NOT_FOUND');
      await rejectsWith(store().deadLetter({ kind: 'item', runId: run.id, lastError: 'x' }), 'STORE_ERR_INVALID_INPUT', /itemKey/);

      // A new dead letter for the same item may be opened after the first was closed.
      const second = await store().deadLetter({ kind: 'item', runId: run.id, itemKey: 'poison', lastError: 'still failing' });
      assert.notEqual(second.id, dl.id);
      await store().markDeadLetter(second.id, 'dropped');

      const ok = await store().createRun({ owner, workflowVersion: 'v1', input: {} });
      await store().finishRun(ok.id, 'succeeded', { result: {} });
      await rejectsWith(store().deadLetter({ kind: 'run', runId: ok.id, lastError: 'x' }), 'STORE_ERR_CONFLICT');
      const counts = await store().counts();
      assert.ok(counts.runs.succeeded >= 1);
      assert.equal(typeof counts.openDeadLetters, 'number');
      await store().finishRun(run.id, 'cancelled');
    });
  });

  describe(`${name}: erasure and retention`, () => {
    test('erasing a subject deletes all of its runs, steps, items, events and dead letters and leaves no trace in any table', T, async () => {
      const subject = uniq('subject-7f3a9c');
      const topic = 'Quokka census of Rottnest 8675309';
      const secretResult = 'quokka-population-1199-verified';
      const bystander = uniq('bystander');
      const runs = [];
      for (let i = 0; i < 2; i++) {
        const run = await store().createRun({ owner: subject, workflowVersion: 'v1', input: { topic }, lease: { owner: 'w', ms: 60_000 } });
        await store().completeStep(run.id, 0, 'research', `${run.id}:research`, { query: topic, urls: ['https://quokka.example/census'] });
        await store().upsertItems(run.id, 0, [{ key: `${topic}#1`, candidate: { name: topic, value: 1199, excerpt: secretResult } }]);
        await store().markItems(run.id, [{ key: `${topic}#1`, status: 'processing' }]);
        await store().appendEvent(run.id, 'progress', { topic, stage: 'research' });
        await store().deadLetter({ kind: 'item', runId: run.id, itemKey: `${topic}#1`, lastError: `failed on ${topic}`, context: { topic } });
        runs.push(run);
      }
      await store().finishRun(runs[0]?.id ?? '', 'succeeded', { result: { topic, statistics: [secretResult] }, leaseOwner: 'w' });
      const kept = await store().createRun({ owner: bystander, workflowVersion: 'v1', input: { topic: 'bystander topic' } });
      await store().appendEvent(kept.id, 'progress', { stage: 'research' });
      await store().appendAudit({ hash: 'h-erasure-test', prevHash: (await store().lastAudit())?.hash ?? null, record: { action: 'run.create', outcome: 'success' } });

      const counts = await store().eraseSubject(subject);
      assert.deepEqual(counts, { runs: 2, steps: 2, items: 2, events: 2, deadLetters: 2 });
      assert.deepEqual(await store().listRuns(subject), []);
      assert.deepEqual(await store().listDeadLetters({ owner: subject }), []);

      // A worker still running one of the erased runs learns it at its next write, and writes nothing back.
      const inFlight = runs[1]?.id ?? '';
      assert.equal(await store().renewLease(inFlight, 'w', 60_000), false);
      await rejectsWith(store().completeStep(inFlight, 0, 'synthesis', `${inFlight}:synthesis`, { topic }), 'STORE_ERR_NOT_FOUND');
      await rejectsWith(store().upsertItems(inFlight, 0, [{ key: `${topic}#2`, candidate: { name: topic } }]), 'STORE_ERR_NOT_FOUND');
      await rejectsWith(store().appendEvent(inFlight, 'progress', { topic }), 'STORE_ERR_NOT_FOUND');
      await rejectsWith(store().deadLetter({ kind: 'run', runId: inFlight, lastError: topic }), 'STORE_ERR_NOT_FOUND');
      assert.equal(await store().finishRun(inFlight, 'succeeded', { result: { topic }, leaseOwner: 'w' }), null);

      const tables = await sql().query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`);
      assert.ok(tables.rows.length >= 7);
      for (const { table_name } of tables.rows) {
        const { rows } = await sql().query(`SELECT t::text AS row FROM "${String(table_name)}" t`);
        for (const { row } of rows) {
          for (const needle of [subject, topic, secretResult, 'Quokka', 'quokka']) {
            assert.ok(!String(row).includes(needle), `${String(table_name)} still holds "${needle}"`);
          }
        }
      }
      assert.equal((await store().getRun(kept.id))?.owner, bystander, "another subject's data is untouched");
      assert.equal((await store().eventsAfter(kept.id)).length, 1);
      assert.deepEqual(await store().eraseSubject(subject), { runs: 0, steps: 0, items: 0, events: 0, deadLetters: 0 });
      await store().finishRun(kept.id, 'cancelled');
    });

    test('retention purges runs that finished before the cut-off, with everything of theirs, in bounded batches', T, async () => {
      const owner = uniq('retention');
      const mk = async (finish: boolean): Promise<string> => {
        const run = await store().createRun({ owner, workflowVersion: 'v1', input: {} });
        await store().upsertItems(run.id, 0, [{ key: 'k', candidate: {} }]);
        await store().appendEvent(run.id, 'progress', {});
        await store().completeStep(run.id, 0, 'research', `${run.id}:r`, { urls: [] });
        if (finish) await store().finishRun(run.id, 'succeeded', { result: {} });
        return run.id;
      };
      const old1 = await mk(true);
      const old2 = await mk(true);
      const recent = await mk(true);
      const oldButRunning = await mk(false);
      await sql().query(`UPDATE runs SET finished_at = now() - interval '40 days', created_at = now() - interval '41 days' WHERE id IN ($1, $2)`, [old1, old2]);
      await sql().query(`UPDATE runs SET created_at = now() - interval '90 days' WHERE id = $1`, [oldButRunning]);
      const cutoff = new Date(Date.now() - 30 * 86_400_000);
      const first = await store().purgeFinishedBefore(cutoff, { limit: 1 });
      assert.deepEqual(first, { runs: 1, steps: 1, items: 1, events: 1, deadLetters: 0, more: true });
      const second = await store().purgeFinishedBefore(cutoff, { limit: 1000 });
      assert.equal(second.runs, 1);
      assert.equal(second.more, false);
      const left = new Set((await store().listRuns(owner)).map((r) => r.id));
      assert.deepEqual(left, new Set([recent, oldButRunning]));
      assert.equal((await store().itemsOf(old1)).length, 0);
      assert.equal((await store().eventsAfter(old2)).length, 0);
      await rejectsWith(store().purgeFinishedBefore(new Date('nope')), 'STORE_ERR_INVALID_INPUT');
      await store().finishRun(oldButRunning, 'cancelled');

      // The scheduled pass: RUN_RETENTION_DAYS=0 deletes nothing; 30 deletes the run finished 40 days ago.
      const old3 = await mk(true);
      await sql().query(`UPDATE runs SET finished_at = now() - interval '40 days', created_at = now() - interval '41 days' WHERE id = $1`, [old3]);
      const off = startRetention(store(), { days: 0 });
      assert.deepEqual(await off.runOnce(), { runs: 0, steps: 0, items: 0, events: 0, deadLetters: 0 });
      await off.stop();
      assert.ok(await store().getRun(old3));
      const on = startRetention(store(), { days: 30, everyMs: 3_600_000, batch: 1 });
      const [a, b] = [on.runOnce(), on.runOnce()];
      assert.equal(a, b, 'one pass at a time');
      assert.deepEqual(await a, { runs: 1, steps: 1, items: 1, events: 1, deadLetters: 0 });
      await on.stop();
      assert.equal(await store().getRun(old3), null);
    });
  });

  describe(`${name}: housekeeping`, () => {
    test('maintain() vacuums and analyzes on PGlite (no autovacuum there) and leaves a server to its autovacuum', T, async () => {
      const lastVacuum = async (): Promise<unknown> => (await sql().query(`SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'runs'`)).rows[0]?.['last_vacuum'] ?? null;
      const before = await lastVacuum();
      await store().maintain();
      const after = await lastVacuum();
      if (store().kind === 'pglite') {
        assert.ok(after instanceof Date && (!(before instanceof Date) || after >= before));
      } else {
        assert.deepEqual(after, before);
      }
      await store().ping();
    });
  });

  describe(`${name}: audit records`, () => {
    test('audit records form one chain: append-only, linked, numbered without gaps, also under concurrent writers', T, async () => {
      const before = await store().lastAudit();
      let last = before;
      const first = await store().appendAudit({ hash: uniq('h'), prevHash: last?.hash ?? null, record: { action: 'key.create', who: 'svc:ops' } });
      assert.equal(first.seq, (before?.seq ?? 0) + 1);
      last = first;
      await rejectsWith(store().appendAudit({ hash: uniq('h'), prevHash: 'not-the-last-hash', record: {} }), 'STORE_ERR_CONFLICT', /does not link/);
      await rejectsWith(store().appendAudit({ seq: last.seq + 5, hash: uniq('h'), prevHash: last.hash, record: {} }), 'STORE_ERR_CONFLICT', /not the next/);
      const second = await store().appendAudit({ seq: last.seq + 1, hash: uniq('h'), prevHash: last.hash, record: { action: 'run.create' } });
      assert.equal(second.seq, last.seq + 1);
      assert.equal(second.prevHash, first.hash);

      const written = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store().appendAuditWith((prev) => ({ hash: `c-${process.pid}-${i}-${prev?.seq ?? 0}`, prevHash: prev?.hash ?? null, record: { i } }))),
      );
      const chain = await store().auditRecords(first.seq - 1);
      assert.equal(chain.length, 10);
      chain.forEach((r, i) => {
        assert.equal(r.seq, first.seq + i);
        if (i > 0) assert.equal(r.prevHash, chain[i - 1]?.hash);
      });
      assert.deepEqual(new Set(written.map((w) => w.seq)).size, 8);
      assert.deepEqual((await store().auditRecords(second.seq, { limit: 3 })).map((r) => r.seq), [second.seq + 1, second.seq + 2, second.seq + 3]);

      for (const tamper of [`UPDATE audit_records SET record = '{}'::jsonb WHERE seq = ${first.seq}`, `DELETE FROM audit_records WHERE seq = ${first.seq}`, 'TRUNCATE audit_records']) {
        await assert.rejects(sql().query(tamper), /append-only/, tamper);
      }
      assert.deepEqual((await store().auditRecords(first.seq - 1, { limit: 1 }))[0], first);
    });

    test("a database error's cause carries no query parameters or row values", T, async () => {
      const marker = 'Sensitive topic of a subject 5551234';
      const run = await store().createRun({ owner: uniq('o'), workflowVersion: 'v1', input: { topic: marker } });
      const err = await rejectsWith(store().createRun({ id: run.id, owner: marker, workflowVersion: marker, input: { topic: marker } }), 'STORE_ERR_CONFLICT');
      const everything = JSON.stringify({ message: err.message, cause: err.cause, stack: err.stack });
      assert.ok(!everything.includes(marker), everything);
      assert.ok(!everything.includes(run.id), 'not even the duplicate key value');
      for (const key of Object.keys(err.cause as object)) assert.ok(['code', 'message', 'table', 'column', 'constraint'].includes(key), key);
      await store().finishRun(run.id, 'cancelled');
    });
  });
}
