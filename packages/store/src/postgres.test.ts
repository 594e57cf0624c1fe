// The repository suite against a real PostgreSQL server: DATABASE_URL when set (the tests work in
// a database they create and drop), else a temporary cluster on 127.0.0.1 when PostgreSQL is
// installed; skipped, saying why, when neither is available.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Driver } from './driver.js';
import { createPgDriver } from './drivers/pg.js';
import { toStoreError } from './errors.js';
import { openStore } from './open.js';
import { rejectsWith, repositorySuite, type SuiteTarget } from './test-support/repository-suite.js';
import { findPostgresBin, postgresForTests, type TestPostgres } from './testing/index.js';

const databaseUrl = process.env['DATABASE_URL'];
const skip =
  (databaseUrl === undefined || databaseUrl === '') && findPostgresBin() === null
    ? 'no DATABASE_URL and no PostgreSQL installation (initdb) found: the Postgres half of the store suite is skipped'
    : false;

let server: TestPostgres | undefined;
let url = '';
let rawDriver: Driver | undefined;
let target: SuiteTarget | undefined;

describe('postgres server', { skip }, () => {
  before(
    async () => {
      const found = await postgresForTests({ databaseUrl });
      if ('skip' in found) throw new Error(found.skip);
      server = found;
      url = await found.createDatabase();
      const raw = createPgDriver({ connectionString: url, poolMax: 2, statementTimeoutMs: 15_000, connectTimeoutMs: 5_000, idleTimeoutMs: 10_000 });
      rawDriver = raw;
      const store = await openStore({ databaseUrl: url, poolMax: 5 });
      target = {
        store,
        firstOpen: store.migration,
        open: (opts = {}) => openStore({ databaseUrl: url, poolMax: 2, ...opts }),
        sql: raw,
      };
    },
    { timeout: 120_000 },
  );

  after(
    async () => {
      await target?.store.close();
      await rawDriver?.close();
      await server?.stop();
    },
    { timeout: 60_000 },
  );

  repositorySuite('postgres', () => {
    if (target === undefined) throw new Error('the Postgres server did not start');
    return target;
  });

  describe('postgres: several processes on one database', () => {
    test('four stores opening an empty database at once: one migrates, the others wait for it and find it done', { timeout: 60_000 }, async () => {
      if (server === undefined) throw new Error('no server');
      const fresh = await server.createDatabase();
      const stores = await Promise.all([1, 2, 3, 4].map(() => openStore({ databaseUrl: fresh, poolMax: 1 })));
      try {
        const applied = stores.map((s) => s.migration.applied.length);
        assert.deepEqual(applied.sort(), [0, 0, 0, 1]);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    test('two workers claiming at once never get the same run (FOR UPDATE SKIP LOCKED)', { timeout: 60_000 }, async () => {
      if (server === undefined) throw new Error('no server');
      const fresh = await server.createDatabase();
      const a = await openStore({ databaseUrl: fresh, poolMax: 2 });
      const b = await openStore({ databaseUrl: fresh, poolMax: 2 });
      try {
        const ids = new Set<string>();
        for (let i = 0; i < 20; i++) ids.add((await a.createRun({ owner: 'o', workflowVersion: 'v1', input: { i } })).id);
        const [ra, rb] = await Promise.all([a.claimResumable('worker-a', 60_000, { limit: 10 }), b.claimResumable('worker-b', 60_000, { limit: 10 })]);
        const got = [...ra.claimed.map((r) => r.id), ...rb.claimed.map((r) => r.id)];
        assert.equal(new Set(got).size, got.length, 'no run claimed twice');
        assert.deepEqual(new Set(got), ids);
        assert.ok(ra.claimed.every((r) => r.leaseOwner === 'worker-a') && rb.claimed.every((r) => r.leaseOwner === 'worker-b'));
      } finally {
        await a.close();
        await b.close();
      }
    });
  });

  describe('postgres: failures', () => {
    test('an unreachable server is STORE_ERR_UNAVAILABLE and the message never shows the password', { timeout: 30_000 }, async () => {
      const port = await new Promise<number>((resolve) => {
        const srv = createServer();
        srv.listen(0, '127.0.0.1', () => {
          const addr = srv.address();
          srv.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 1));
        });
      });
      const err = await rejectsWith(openStore({ databaseUrl: `postgres://app:hunter2-secret@127.0.0.1:${port}/stats`, connectTimeoutMs: 2_000 }), 'STORE_ERR_UNAVAILABLE');
      assert.ok(!JSON.stringify({ m: err.message, c: err.cause, s: err.stack }).includes('hunter2'));
    });

    test('a login the server refuses is STORE_ERR_UNAVAILABLE', { timeout: 30_000 }, async () => {
      const u = new URL(url);
      u.pathname = '/no_such_database_here';
      await rejectsWith(openStore({ databaseUrl: u.toString() }), 'STORE_ERR_UNAVAILABLE', /3D000/);
    });

    test('a statement longer than the statement timeout is cancelled by the server: STORE_ERR_TIMEOUT', { timeout: 30_000 }, async () => {
      const driver = createPgDriver({ connectionString: url, poolMax: 1, statementTimeoutMs: 200, connectTimeoutMs: 5_000, idleTimeoutMs: 10_000 });
      try {
        let caught: unknown;
        await driver.query('SELECT pg_sleep(5)').catch((err: unknown) => {
          caught = err;
        });
        assert.equal(toStoreError(caught, 'sleep').code, 'STORE_ERR_TIMEOUT');
        const { rows } = await driver.query('SELECT 1 AS one');
        assert.equal(rows[0]?.['one'], 1, 'the pool is still usable');
      } finally {
        await driver.close();
      }
    });
  });
});
