#!/usr/bin/env node
// stats-agent API key tool:
//   node packages/auth/dist/cli.js create --id <id> --scopes stats:search,stats:read --expires-in 90d \
//        [--name <text>] [--keys-file <api-keys.json>] [--key-out <file>] [--replace]
//   node packages/auth/dist/cli.js revoke --id <id> --keys-file <api-keys.json>
// `create` prints the plaintext key once on stdout (or writes it to --key-out, mode 0600) and adds
// the hashed record to --keys-file (created with mode 0600 when missing) or prints the record.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { parseArgs } from 'node:util';
import { createApiKey, parseApiKeysFile, type ApiKeyRecord, type ApiKeysFile } from './api-keys.js';
import { isScope, type Scope } from './scopes.js';

const USAGE = `usage:
  create --id <id> --scopes <s1,s2> (--expires-in <N>h|d | --expires-at <ISO date>) [--name <text>] [--keys-file <file>] [--key-out <file>] [--replace]
  revoke --id <id> --keys-file <file>
scopes: stats:search, stats:read, stats:admin (admin implies the others)`;

function fail(message: string): never {
  process.stderr.write(`stats-agent-keys: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseDuration(s: string): number {
  const m = /^(\d{1,6})([mhd])$/.exec(s);
  if (!m) throw new Error(`--expires-in ${JSON.stringify(s)}: use e.g. 30m, 24h or 90d`);
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
}

async function readKeys(file: string): Promise<ApiKeysFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, keys: [] };
    throw err;
  }
  return parseApiKeysFile(text, file);
}

/** Writes next to the target and renames, so a reader never sees half a file; mode 0600. */
async function writePrivate(file: string, text: string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, file);
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      id: { type: 'string' },
      scopes: { type: 'string' },
      'expires-in': { type: 'string' },
      'expires-at': { type: 'string' },
      name: { type: 'string' },
      'keys-file': { type: 'string' },
      'key-out': { type: 'string' },
      replace: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.id) fail('--id is required');
  if (command === 'revoke') {
    const file = values['keys-file'] ?? fail('--keys-file is required');
    const keys = await readKeys(file);
    const rec = keys.keys.find((k) => k.id === values.id) ?? fail(`no key ${values.id} in ${file}`);
    rec.revoked = true;
    await writePrivate(file, `${JSON.stringify(keys, null, 2)}\n`);
    process.stderr.write(`revoked ${values.id} in ${file}\n`);
    return;
  }
  if (command !== 'create') fail(`unknown command ${command ?? '(none)'}`);
  const scopes = (values.scopes ?? fail('--scopes is required')).split(',').map((s) => s.trim());
  for (const s of scopes) if (!isScope(s)) fail(`unknown scope ${s}`);
  let expiresAt: Date;
  if (values['expires-at']) {
    expiresAt = new Date(values['expires-at']);
    if (Number.isNaN(expiresAt.getTime())) fail('--expires-at is not a date');
  } else if (values['expires-in']) {
    expiresAt = new Date(Date.now() + parseDuration(values['expires-in']));
  } else {
    fail('--expires-in or --expires-at is required: every key expires');
  }
  const { key, record } = createApiKey({ id: values.id, scopes: scopes as Scope[], expiresAt, ...(values.name ? { name: values.name } : {}) });
  const file = values['keys-file'];
  if (file) {
    const keys = await readKeys(file);
    const others = keys.keys.filter((k: ApiKeyRecord) => k.id !== record.id);
    if (others.length !== keys.keys.length && !values.replace) fail(`${file} already has a key ${record.id} (use --replace)`);
    await writePrivate(file, `${JSON.stringify({ version: 1, keys: [...others, record] }, null, 2)}\n`);
    process.stderr.write(`added ${record.id} (${record.scopes.join(' ')}, expires ${record.expires_at}) to ${file}\n`);
  } else {
    process.stderr.write('add this record to the "keys" array of your API_KEYS_FILE:\n');
    process.stderr.write(`${JSON.stringify(record, null, 2)}\n`);
  }
  if (values['key-out']) {
    await writePrivate(values['key-out'], `${key}\n`);
    process.stderr.write(`the key is in ${values['key-out']} (mode 0600); it is not stored anywhere else\n`);
  } else {
    process.stdout.write(`${key}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`stats-agent-keys: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
