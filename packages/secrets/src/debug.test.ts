// DEBUG=node-vault makes node-vault print request bodies (login JWTs, secret ids) and responses
// (tokens, secrets) to stderr (FINDINGS). This file runs in its own process: DEBUG is set before
// node-vault (and its `debug` dependency) is loaded.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

process.env['DEBUG'] = 'node-vault';
const { loadSecrets } = await import('./index.js');
const { FakeVault } = await import('./testing.js');

const JWT = 'eyJhbGciOiJSUzI1NiJ9.debug-test-jwt-payload.signature';
const SECRET = 'debug-test-secret-value-42';

test('DEBUG=node-vault prints no JWT, token or secret value', { timeout: 10_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vault-debug-'));
  const fake = await FakeVault.start();
  const written: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    // Control: node-vault's own debug logger is live in this process.
    const requireFromVault = createRequire(createRequire(import.meta.url).resolve('node-vault'));
    const debug = requireFromVault('debug') as (ns: string) => ((msg: string) => void) & { enabled: boolean };
    const nodeVaultDebug = debug('node-vault');
    assert.equal(nodeVaultDebug.enabled, true);
    nodeVaultDebug('control line');
    assert.ok(written.join('').includes('control line'));

    await writeFile(join(dir, 'jwt'), JWT);
    fake.kubernetesRoles.set('research', JWT);
    fake.put('secret', 'app', { SERPER_API_KEY: SECRET });
    const s = await loadSecrets({
      env: { VAULT_ADDR: fake.addr, VAULT_ROLE: 'research', VAULT_K8S_JWT_FILE: join(dir, 'jwt'), VAULT_SECRET_PATH: 'app' },
      declare: [{ name: 'SERPER_API_KEY' }],
      scrubber: false,
      refreshIntervalMs: 0,
    });
    assert.equal(s.get('SERPER_API_KEY'), SECRET);
    await s.close();
    const all = written.join('');
    for (const leaked of [JWT, SECRET, fake.loginTokens[0] ?? '-']) assert.ok(!all.includes(leaked), `leaked on stderr: ${all}`);
  } finally {
    process.stderr.write = original;
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
});
