#!/usr/bin/env node
// Runs SQL against a COPY of a PGlite run store, for the runbooks in this folder.
//
//   node docs/runbooks/store-sql.mjs <STORE_DIR> "<SQL>" [--json] [--write]
//
// PGlite is a Postgres inside the orchestrator's process: there is no server for psql to reach,
// and opening the live directory from a second process would corrupt it (the orchestrator holds
// <STORE_DIR>/store.lock for that reason). This script copies <STORE_DIR>/pgdata to a temporary
// directory, opens the copy with the same PGlite the store uses, runs the statement, prints the
// rows and deletes the copy. The copy taken while the orchestrator runs may be a little behind
// or need crash recovery (PGlite does that on open); the live directory is never written.
// Changes made without --write go to the copy and are thrown away.
//
// --write: run the statement on the LIVE directory instead — only when the orchestrator is
// stopped. The script takes <STORE_DIR>/store.lock itself exactly as the store does (a lock held
// by a live process, or by another host, is refused; a dead process's lock is taken over), so an
// orchestrator started meanwhile refuses to open the directory until the script is done.
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

const [dir, sql, ...rest] = process.argv.slice(2);
if (!dir || !sql || rest.some((a) => a !== '--json' && a !== '--write')) {
  process.stderr.write('usage: node docs/runbooks/store-sql.mjs <STORE_DIR> "<SQL>" [--json] [--write]\n');
  process.exit(2);
}
const write = rest.includes('--write');
const pgdata = join(dir, 'pgdata');
if (!(await stat(pgdata).catch(() => undefined))?.isDirectory()) {
  process.stderr.write(`store-sql: ${pgdata} is not a directory (is ${dir} the STORE_DIR?)\n`);
  process.exit(1);
}
const { PGlite } = await import(new URL('../../packages/store/node_modules/@electric-sql/pglite/dist/index.js', import.meta.url).href);
const lockPath = join(dir, 'store.lock');
if (write) {
  const holder = await readFile(lockPath, 'utf8').then((t) => JSON.parse(t), () => undefined);
  const alive = (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return err.code === 'EPERM';
    }
  };
  if (holder && (holder.host !== hostname() || alive(holder.pid))) {
    process.stderr.write(`store-sql: ${dir} is in use by pid ${holder.pid} on ${holder.host}; stop the orchestrator first\n`);
    process.exit(1);
  }
  if (holder) await rm(lockPath, { force: true });
  try {
    await writeFile(lockPath, JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() }), { flag: 'wx', mode: 0o600 });
  } catch {
    process.stderr.write(`store-sql: could not take ${lockPath} (something else took it just now)\n`);
    process.exit(1);
  }
}
const copy = write ? undefined : await mkdtemp(join(tmpdir(), 'store-sql-'));
let code = 0;
try {
  if (copy) await cp(pgdata, join(copy, 'pgdata'), { recursive: true });
  const db = new PGlite(copy ? join(copy, 'pgdata') : pgdata);
  try {
    const { rows } = await db.query(sql);
    if (rest.includes('--json')) for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    else if (rows.length === 0) process.stdout.write('(no rows)\n');
    else console.table(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v !== null && typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v) : v]))));
  } catch (err) {
    process.stderr.write(`store-sql: ${err instanceof Error ? err.message : String(err)}\n`);
    code = 1;
  } finally {
    await db.close();
  }
} finally {
  if (copy) await rm(copy, { recursive: true, force: true });
  else await rm(lockPath, { force: true });
}
process.exit(code);
