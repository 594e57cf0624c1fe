#!/usr/bin/env node
// Verifies an audit log file AND compares it with the store's copy (the audit_records table that
// storeSink mirrors every record into), for the runbooks in this folder.
//
//   node docs/runbooks/audit-store-verify.mjs --file <AUDIT_LOG_FILE or segment> (--store-dir <STORE_DIR> | --database-url-env <VAR>)
//        [--source <orchestration/...>] [--hmac-key-file <file>] [--first-segment] [--json]
//
// `stats-agent audit verify` checks a file against its head; this adds the second, independently
// permissioned copy: every record of the file must be in the store with the same hash, and the
// store's own chain (one chain for every writer) must be intact. The store may lag the file by
// the records still in flight. Exit 0 intact, 4 a difference or tampering, 1 a usage or read error.
//
// --store-dir: a PGlite STORE_DIR. Its pgdata is COPIED to a temporary directory and the copy is
//   opened (the live directory is never opened: the orchestrator holds store.lock).
// --database-url-env: the NAME of an environment variable holding the Postgres URL (so the
//   password is not on the command line). The server is only read, but opening the store checks
//   its schema: a database newer than this checkout is refused (STORE_ERR_SCHEMA).
// --source: compare only the store rows of one writer (`orchestration/<instance id>`, as in the
//   record's envelope); needed when several processes write into one store.
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const here = (p) => new URL(`../../${p}`, import.meta.url).href;
const { headPathFor, readHead, verifyAudit } = await import(here('packages/audit/dist/index.js'));
const { openStore } = await import(here('packages/store/dist/index.js'));

function usage(msg) {
  process.stderr.write(`audit-store-verify: ${msg}\nusage: node docs/runbooks/audit-store-verify.mjs --file <audit log> (--store-dir <dir> | --database-url-env <VAR>) [--source <s>] [--hmac-key-file <f>] [--first-segment] [--json]\n`);
  process.exit(1);
}

let o;
try {
  o = parseArgs({
    options: {
      file: { type: 'string' },
      'store-dir': { type: 'string' },
      'database-url-env': { type: 'string' },
      source: { type: 'string' },
      'hmac-key-file': { type: 'string' },
      'first-segment': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  }).values;
} catch (err) {
  usage(err.message);
}
if (!o.file) usage('--file is required');
if (!o['store-dir'] === !o['database-url-env']) usage('give exactly one of --store-dir and --database-url-env');

let key = process.env.AUDIT_HMAC_KEY || undefined;
if (o['hmac-key-file']) key = (await readFile(o['hmac-key-file'], 'utf8')).replace(/\r?\n$/, '');

let copy;
let store;
try {
  if (o['store-dir']) {
    const pgdata = join(o['store-dir'], 'pgdata');
    if (!(await stat(pgdata).catch(() => undefined))?.isDirectory()) usage(`${pgdata} is not a directory`);
    copy = await mkdtemp(join(tmpdir(), 'audit-store-'));
    await cp(pgdata, join(copy, 'pgdata'), { recursive: true });
    store = await openStore({ dataDir: copy });
  } else {
    const url = process.env[o['database-url-env']];
    if (!url) usage(`environment variable ${o['database-url-env']} is not set`);
    store = await openStore({ databaseUrl: url });
  }
  const storeRecords = async () => {
    const rows = [];
    for (let after = 0; ; ) {
      const page = await store.auditRecords(after, { limit: 10_000 });
      rows.push(...page);
      if (page.length < 10_000) return rows;
      after = page[page.length - 1].seq;
    }
  };
  const head = await readHead(headPathFor(o.file));
  const result = await verifyAudit(
    { file: o.file },
    { head, hmacKey: key, storeRecords, ...(o.source ? { storeSource: o.source } : {}), firstSegment: o['first-segment'] },
  );
  if (o.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write(`${o.file}: ${result.ok ? 'intact and matching the store' : 'TAMPERED or different from the store'} — ${result.records} records, seq ${result.first_seq ?? '-'}–${result.last_seq ?? '-'}\n`);
    for (const p of result.problems) process.stdout.write(`  ${`line ${p.line ?? '-'} (seq ${p.seq ?? '-'})`.padEnd(22)} ${p.kind.padEnd(9)}  ${p.message}\n`);
  }
  process.exitCode = result.ok ? 0 : 4;
} catch (err) {
  process.stderr.write(`audit-store-verify: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await store?.close();
  if (copy) await rm(copy, { recursive: true, force: true });
}
