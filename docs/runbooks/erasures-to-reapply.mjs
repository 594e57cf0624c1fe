#!/usr/bin/env node
// After restoring the run store from a backup: which of its owners were erased since the backup
// was taken, and must be erased again before the service is opened (docs/runbooks/restore-store.md).
//
//   <owners, one per line> | node docs/runbooks/erasures-to-reapply.mjs [--since <ISO time>] [--hmac-key-file <file>] <audit log file>...
//
// An erasure is recorded in the audit trail as `subject.erased` with resource
// `subject:<hashTopic(owner, AUDIT_HMAC_KEY)>` — a keyed hash, never the owner itself. This reads
// the `subject.erased` records of the given audit files (give every segment of every
// orchestrator's log; records before --since are skipped), hashes each owner read from stdin the
// same way, and prints the owners whose hash matches, one per line, ready for
// `DELETE /v1/subjects/{owner}`. Nothing printed: nothing to re-apply. A summary goes to stderr.
//
// The key must be the AUDIT_HMAC_KEY the orchestrator had when it recorded the erasures (env
// AUDIT_HMAC_KEY or --hmac-key-file); without a key the hashes are plain SHA-256.
// The owners come from the restored store, e.g.
//   psql "$DATABASE_URL" -At -c "SELECT owner FROM runs UNION SELECT owner FROM dead_letters"
//   node docs/runbooks/store-sql.mjs "$STORE_DIR" "SELECT owner FROM runs UNION SELECT owner FROM dead_letters" --json | jq -r .owner
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { hashTopic } = await import(new URL('../../packages/audit/dist/index.js', import.meta.url).href);

function usage(msg) {
  process.stderr.write(`erasures-to-reapply: ${msg}\nusage: <owners> | node docs/runbooks/erasures-to-reapply.mjs [--since <ISO time>] [--hmac-key-file <f>] <audit log file>...\n`);
  process.exit(1);
}

let parsed;
try {
  parsed = parseArgs({ options: { since: { type: 'string' }, 'hmac-key-file': { type: 'string' } }, allowPositionals: true, strict: true });
} catch (err) {
  usage(err.message);
}
const { values: o, positionals: files } = parsed;
if (files.length === 0) usage('give the audit log file(s) to read');
const since = o.since === undefined ? undefined : Date.parse(o.since);
if (since !== undefined && Number.isNaN(since)) usage(`--since: not a time: ${o.since}`);
let key = process.env.AUDIT_HMAC_KEY || undefined;
if (o['hmac-key-file']) key = (await readFile(o['hmac-key-file'], 'utf8')).replace(/\r?\n$/, '');

const erased = new Set();
try {
  for (const file of files) {
    for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
      let rec;
      try {
        rec = JSON.parse(line);
      } catch {
        continue; // a torn line: `stats-agent audit verify` reports those
      }
      if (rec?.action !== 'subject.erased' || typeof rec.resource !== 'string' || !rec.resource.startsWith('subject:')) continue;
      if (since !== undefined && !(Date.parse(rec.time) >= since)) continue;
      erased.add(rec.resource.slice('subject:'.length));
    }
  }
} catch (err) {
  process.stderr.write(`erasures-to-reapply: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

const owners = new Set();
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  const owner = line.trim();
  if (owner !== '') owners.add(owner);
}
let found = 0;
for (const owner of [...owners].sort()) {
  if (erased.has(hashTopic(owner, key))) {
    process.stdout.write(`${owner}\n`);
    found++;
  }
}
process.stderr.write(`erasures-to-reapply: ${erased.size} erasure(s) in the audit files, ${owners.size} owner(s) given, ${found} to erase again\n`);
