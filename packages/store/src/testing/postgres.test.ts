// The test server helper itself: only 127.0.0.1, databases on demand, nothing left after stop,
// and a server orphaned by a killed test process is reaped by the next start.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import pg from 'pg';
import { findPostgresBin, reapOrphanedServers, startPostgres } from './index.js';

const binDir = findPostgresBin();
const skip = binDir === null ? 'PostgreSQL (initdb, pg_ctl) is not installed' : false;

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

test('startPostgres: a server on 127.0.0.1 only, a fresh database on demand, and nothing left after stop', { skip, timeout: 90_000 }, async () => {
  const server = await startPostgres({ binDir: binDir ?? '' });
  let stopped = false;
  try {
    assert.match(server.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    assert.equal(server.external, false);
    const rows = await query(server.url, 'SHOW listen_addresses');
    assert.equal(rows[0]?.['listen_addresses'], '127.0.0.1');
    const dbUrl = await server.createDatabase();
    const [db] = await query(dbUrl, 'SELECT current_database() AS name');
    assert.match(String(db?.['name']), /^stats_agent_test_[0-9a-f]{12}$/);
    await server.stop();
    stopped = true;
    await server.stop(); // idempotent
    await assert.rejects(query(server.url, 'SELECT 1'), /ECONNREFUSED/);
  } finally {
    if (!stopped) await server.stop();
  }
});

test('a server left by a killed test process is stopped and removed by reapOrphanedServers', { skip, timeout: 90_000 }, async () => {
  const script = `
    const { startPostgres } = await import(process.argv[1]);
    const s = await startPostgres({ binDir: process.argv[2] });
    process.stdout.write(JSON.stringify({ url: s.url }) + '\\n');
    setInterval(() => {}, 60_000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, new URL('./index.js', import.meta.url).href, binDir ?? ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let url: string;
  let dataDir: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line !== undefined && out.includes('\n')) resolve((JSON.parse(line) as { url: string }).url);
      });
      void exited.then(() => reject(new Error(`the child ended before its server started: ${err.slice(-2000)}`)));
    });
    dataDir = String((await query(url, 'SHOW data_directory'))[0]?.['data_directory']);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  assert.equal((await query(url, 'SELECT 1 AS one'))[0]?.['one'], 1, 'the orphan outlived its test process');
  // Another test process starting a server at this moment may reap it first; either way it must be gone.
  await reapOrphanedServers(binDir ?? '');
  assert.equal(existsSync(dataDir), false);
  await assert.rejects(query(url, 'SELECT 1'), /ECONNREFUSED/);
});
