import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApiKeyRegistry, ApiKeysFileError, createApiKey, hashApiKey, parseApiKey, parseApiKeysFile } from './api-keys.js';

const inDays = (d: number) => new Date(Date.now() + d * 86_400_000);

describe('API keys', { timeout: 10_000 }, () => {
  test('a new key is sk_<id>_<43 base64url chars>; only its SHA-256 is in the record', () => {
    const { key, record } = createApiKey({ id: 'ci-bot', scopes: ['stats:search', 'stats:search'], expiresAt: inDays(30), name: 'CI' });
    assert.match(key, /^sk_ci-bot_[A-Za-z0-9_-]{43}$/);
    assert.equal(record.hash, hashApiKey(key));
    assert.match(record.hash, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(record.scopes, ['stats:search']);
    assert.ok(!JSON.stringify(record).includes(key.slice(10)), 'the secret is not in the record');
    assert.notEqual(createApiKey({ id: 'ci-bot', scopes: ['stats:read'], expiresAt: inDays(1) }).key, key);
  });

  test('creating refuses a bad id, no scopes, or an expiry that is not in the future', () => {
    assert.throws(() => createApiKey({ id: 'has_underscore', scopes: ['stats:read'], expiresAt: inDays(1) }), /key id/);
    assert.throws(() => createApiKey({ id: '', scopes: ['stats:read'], expiresAt: inDays(1) }), /key id/);
    assert.throws(() => createApiKey({ id: 'a', scopes: [], expiresAt: inDays(1) }), /at least one scope/);
    assert.throws(() => createApiKey({ id: 'a', scopes: ['stats:read'], expiresAt: new Date(Date.now() - 1) }), /future/);
  });

  test('parsing: the id is everything before the second underscore; other shapes are not keys', () => {
    const { key } = createApiKey({ id: 'a-1', scopes: ['stats:read'], expiresAt: inDays(1) });
    assert.equal(parseApiKey(key)?.id, 'a-1');
    for (const bad of ['', 'sk_', 'sk_a_short', `pk_a_${'x'.repeat(43)}`, `sk_a_${'x'.repeat(44)}`, `sk__${'x'.repeat(43)}`, `sk_a_${'x'.repeat(42)}!`]) {
      assert.equal(parseApiKey(bad), undefined, bad);
    }
  });

  test('the registry accepts the key, and says why it refuses others (keyed by id, never by secret)', async () => {
    const good = createApiKey({ id: 'good', scopes: ['stats:search'], expiresAt: inDays(1) });
    const expired = createApiKey({ id: 'old', scopes: ['stats:search'], expiresAt: new Date(Date.now() + 1000) });
    const revoked = createApiKey({ id: 'gone', scopes: ['stats:search'], expiresAt: inDays(1) });
    const reg = ApiKeyRegistry.fromRecords([good.record, expired.record, { ...revoked.record, revoked: true }]);
    const ok = await reg.check(good.key);
    assert.ok(ok.ok && ok.record.id === 'good');
    const forged = `sk_good_${'A'.repeat(43)}`;
    assert.deepEqual(await reg.check(forged), { ok: false, reason: 'bad_secret', keyId: 'good' });
    assert.deepEqual(await reg.check(`sk_nobody_${'A'.repeat(43)}`), { ok: false, reason: 'unknown_key', keyId: 'nobody' });
    assert.deepEqual(await reg.check(revoked.key), { ok: false, reason: 'revoked', keyId: 'gone' });
    assert.deepEqual(await reg.check(expired.key, new Date(Date.now() + 2000)), { ok: false, reason: 'expired', keyId: 'old' });
    assert.deepEqual(await reg.check('not-a-key'), { ok: false, reason: 'malformed' });
    // The secret of one key does not open another id.
    const swapped = good.key.replace('sk_good_', 'sk_gone_');
    assert.deepEqual(await reg.check(swapped), { ok: false, reason: 'bad_secret', keyId: 'gone' });
  });

  const record = createApiKey({ id: 'k', scopes: ['stats:read'], expiresAt: inDays(1) }).record;
  const badFiles: Array<[string, string, RegExp]> = [
    ['invalid JSON', '{', /not valid JSON/],
    ['no version', JSON.stringify({ keys: [] }), /version/],
    ['an unknown field', JSON.stringify({ version: 1, keys: [{ ...record, secret: 'x' }] }), /keys\.0: .*secret/i],
    ['an unknown scope', JSON.stringify({ version: 1, keys: [{ ...record, scopes: ['stats:write'] }] }), /keys\.0\.scopes\.0/],
    ['no expiry', JSON.stringify({ version: 1, keys: [{ ...record, expires_at: undefined }] }), /keys\.0\.expires_at/],
    ['a plaintext key as hash', JSON.stringify({ version: 1, keys: [{ ...record, hash: 'sk_k_abc' }] }), /keys\.0\.hash/],
    ['a duplicate id', JSON.stringify({ version: 1, keys: [record, record] }), /duplicate id k/],
  ];
  for (const [what, text, message] of badFiles) {
    test(`a keys file with ${what} is refused, naming where`, () => {
      assert.throws(() => parseApiKeysFile(text, 'keys.json'), (err: unknown) => err instanceof ApiKeysFileError && message.test(err.message) && err.message.startsWith('auth: keys.json'));
    });
  }
});

describe('API keys from a file', { timeout: 10_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'auth-keys-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a missing or invalid file fails at start-up', async () => {
    await assert.rejects(ApiKeyRegistry.fromFile(join(dir, 'none.json')), /cannot be read/);
    await writeFile(join(dir, 'bad.json'), '{"version":2,"keys":[]}');
    await assert.rejects(ApiKeyRegistry.fromFile(join(dir, 'bad.json')), ApiKeysFileError);
  });

  test('keys added or revoked in the file take effect without a restart; a broken edit keeps the last good keys', async () => {
    const file = join(dir, 'keys.json');
    const a = createApiKey({ id: 'a', scopes: ['stats:read'], expiresAt: inDays(1) });
    const b = createApiKey({ id: 'b', scopes: ['stats:read'], expiresAt: inDays(1) });
    await writeFile(file, JSON.stringify({ version: 1, keys: [a.record] }));
    const errors: Error[] = [];
    const reg = await ApiKeyRegistry.fromFile(file, { reloadIntervalMs: 0, onReloadError: (e) => errors.push(e) });
    assert.ok((await reg.check(a.key)).ok);
    assert.equal((await reg.check(b.key)).ok, false);
    await writeFile(file, JSON.stringify({ version: 1, keys: [{ ...a.record, revoked: true }, b.record] }));
    assert.ok((await reg.check(b.key)).ok, 'added key accepted');
    assert.deepEqual(await reg.check(a.key), { ok: false, reason: 'revoked', keyId: 'a' });
    await writeFile(file, '{"version": 1, "keys": [ oops');
    assert.ok((await reg.check(b.key)).ok, 'last good keys stay');
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? '', /not valid JSON/);
  });
});
