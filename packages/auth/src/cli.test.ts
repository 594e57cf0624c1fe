import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApiKeyRegistry } from './api-keys.js';

const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 10_000 });

describe('key CLI', { timeout: 30_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'auth-cli-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('create writes the hashed record (0600) and the key once; the server accepts it; revoke refuses it', async () => {
    const keys = join(dir, 'api-keys.json');
    const out = join(dir, 'api-key');
    const r = run('create', '--id', 'dev', '--scopes', 'stats:search,stats:read', '--expires-in', '24h', '--name', 'Dev', '--keys-file', keys, '--key-out', out);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '', 'with --key-out nothing goes to stdout');
    assert.equal((await stat(keys)).mode & 0o777, 0o600);
    assert.equal((await stat(out)).mode & 0o777, 0o600);
    const key = (await readFile(out, 'utf8')).trim();
    assert.match(key, /^sk_dev_/);
    assert.ok(!(await readFile(keys, 'utf8')).includes(key.slice(7)), 'the keys file holds no plaintext');
    const reg = await ApiKeyRegistry.fromFile(keys);
    const ok = await reg.check(key);
    assert.ok(ok.ok && ok.record.name === 'Dev' && ok.record.scopes.join() === 'stats:search,stats:read');
    assert.ok(Date.parse(ok.record.expires_at) - Date.now() > 23 * 3600_000);

    const dup = run('create', '--id', 'dev', '--scopes', 'stats:read', '--expires-in', '1d', '--keys-file', keys);
    assert.equal(dup.status, 2);
    assert.match(dup.stderr, /already has a key dev/);
    const second = run('create', '--id', 'other', '--scopes', 'stats:read', '--expires-in', '1d', '--keys-file', keys);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /^sk_other_[A-Za-z0-9_-]{43}\n$/);

    assert.equal(run('revoke', '--id', 'dev', '--keys-file', keys).status, 0);
    assert.deepEqual(await (await ApiKeyRegistry.fromFile(keys)).check(key), { ok: false, reason: 'revoked', keyId: 'dev' });
  });

  test('bad arguments are refused with a message: unknown scope, no expiry, bad duration', () => {
    const a = run('create', '--id', 'x', '--scopes', 'stats:write', '--expires-in', '1d');
    assert.equal(a.status, 2);
    assert.match(a.stderr, /unknown scope stats:write/);
    const b = run('create', '--id', 'x', '--scopes', 'stats:read');
    assert.match(b.stderr, /every key expires/);
    const c = run('create', '--id', 'x', '--scopes', 'stats:read', '--expires-in', 'soon');
    assert.equal(c.status, 1);
    assert.match(c.stderr, /30m, 24h or 90d/);
  });
});
