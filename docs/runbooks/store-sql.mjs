#!/usr/bin/env node
// Runs SQL against a COPY of a PGlite run store, for the runbooks in this folder.
//
//   node docs/runbooks/store-sql.mjs <STORE_DIR> "<SQL>" [--json]
//
// PGlite is a Postgres inside the orchestrator's process: there is no server for psql to reach,
// and opening the live directory from a second process would corrupt it (the orchestrator holds
// <STORE_DIR>/store.lock for that reason). This script copies <STORE_DIR>/pgdata to a temporary
// directory, opens the copy with the same PGlite the store uses, runs the statement, prints the
// rows and deletes the copy. The copy taken while the orchestrator runs may be a little behind
// or need crash recovery (PGlite does that on open); the live directory is never written.
// Changes made with this script go to the copy and are thrown away: to change the store, use the
// admin API (docs/dead-letters.md) or stop the orchestrator first (docs/runbooks/restore-store.md).
import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [dir, sql, ...rest] = process.argv.slice(2);
if (!dir || !sql || rest.some((a) => a !== '--json')) {
  process.stderr.write('usage: node docs/runbooks/store-sql.mjs <STORE_DIR> "<SQL>" [--json]\n');
  process.exit(2);
}
const pgdata = join(dir, 'pgdata');
if (!(await stat(pgdata).catch(() => undefined))?.isDirectory()) {
  process.stderr.write(`store-sql: ${pgdata} is not a directory (is ${dir} the STORE_DIR?)\n`);
  process.exit(1);
}
const { PGlite } = await import(new URL('../../packages/store/node_modules/@electric-sql/pglite/dist/index.js', import.meta.url).href);
const copy = await mkdtemp(join(tmpdir(), 'store-sql-'));
let code = 0;
try {
  await cp(pgdata, join(copy, 'pgdata'), { recursive: true });
  const db = new PGlite(join(copy, 'pgdata'));
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
  await rm(copy, { recursive: true, force: true });
}
process.exit(code);
