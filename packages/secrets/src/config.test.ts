import assert from 'node:assert/strict';
import { test } from 'node:test';
import { secretsFromEnv, SecretsError, DEFAULT_K8S_JWT_FILE, type Env } from './index.js';

const DECL = [{ name: 'SERPER_API_KEY' }, { name: 'OPENAI_API_KEY' }, { name: 'SERPAPI_API_KEY', required: false }];

function problems(env: Env, decl = DECL): string[] {
  try {
    secretsFromEnv(env, decl);
  } catch (err) {
    assert.ok(err instanceof SecretsError);
    assert.equal(err.code, 'SECRETS_ERR_CONFIG');
    for (const p of err.problems) assert.ok(err.message.includes(p));
    return [...err.problems];
  }
  return [];
}

test('env mode: one error names EACH missing required variable, never a value', { timeout: 5000 }, () => {
  const p = problems({ SERPAPI_API_KEY: 'serpapi-value-1234567' });
  assert.equal(p.length, 2);
  assert.ok(p.some((x) => x.includes('SERPER_API_KEY is required: set SERPER_API_KEY or SERPER_API_KEY_FILE')));
  assert.ok(p.some((x) => x.includes('OPENAI_API_KEY is required')));
  assert.ok(!p.join('\n').includes('serpapi-value-1234567'));
});

test('env mode: NAME and NAME_FILE together are refused; empty values count as unset', { timeout: 5000 }, () => {
  const p = problems({ SERPER_API_KEY: 'v-123456', SERPER_API_KEY_FILE: '/run/secrets/serper', OPENAI_API_KEY: '' });
  assert.deepEqual(p.sort(), ['OPENAI_API_KEY is required: set OPENAI_API_KEY or OPENAI_API_KEY_FILE', 'SERPER_API_KEY and SERPER_API_KEY_FILE are both set: set only one'].sort());
});

test('env mode: sources by name, the config holds no value', { timeout: 5000 }, () => {
  const cfg = secretsFromEnv({ SERPER_API_KEY: 'value-in-env-123', OPENAI_API_KEY_FILE: '/run/secrets/openai' }, DECL);
  assert.equal(cfg.provider, 'env');
  assert.deepEqual(cfg.sources['SERPER_API_KEY'], { kind: 'env', variable: 'SERPER_API_KEY' });
  assert.deepEqual(cfg.sources['OPENAI_API_KEY'], { kind: 'file', variable: 'OPENAI_API_KEY_FILE', path: '/run/secrets/openai' });
  assert.deepEqual(cfg.sources['SERPAPI_API_KEY'], { kind: 'unset' });
  assert.ok(!JSON.stringify(cfg).includes('value-in-env-123'));
  assert.ok(Object.isFrozen(cfg));
});

test('declarations: names must be upper snake case and unique', { timeout: 5000 }, () => {
  const p = problems({ A: 'x' }, [{ name: 'lower' }, { name: 'A' }, { name: 'A' }]);
  assert.equal(p.length, 2);
});

const VAULT_BASE = { VAULT_ADDR: 'https://vault.example:8200', VAULT_ROLE: 'research', VAULT_SECRET_PATH: 'stats-agent/research' };

test('vault mode: chosen by VAULT_ADDR, kubernetes auth by default, documented defaults', { timeout: 5000 }, () => {
  const cfg = secretsFromEnv(VAULT_BASE, DECL);
  assert.equal(cfg.provider, 'vault');
  assert.equal(cfg.vault?.addr, 'https://vault.example:8200');
  assert.deepEqual(cfg.vault?.auth, { method: 'kubernetes', mount: 'kubernetes', role: 'research', jwtFile: DEFAULT_K8S_JWT_FILE });
  assert.equal(cfg.vault?.kvMount, 'secret');
  assert.equal(cfg.vault?.skipVerify, false);
  assert.equal(cfg.vault?.timeoutMs, 5000);
  assert.deepEqual(
    cfg.secrets.map((s) => [s.name, s.vaultPath, s.vaultField, s.required]),
    [
      ['SERPER_API_KEY', 'stats-agent/research', 'SERPER_API_KEY', true],
      ['OPENAI_API_KEY', 'stats-agent/research', 'OPENAI_API_KEY', true],
      ['SERPAPI_API_KEY', 'stats-agent/research', 'SERPAPI_API_KEY', false],
    ],
  );
});

test('numbers: VAULT_TIMEOUT_MS and SECRETS_REFRESH_INTERVAL_MS are parsed; out of range is a problem', { timeout: 5000 }, () => {
  const cfg = secretsFromEnv({ ...VAULT_BASE, VAULT_TIMEOUT_MS: '250', SECRETS_REFRESH_INTERVAL_MS: '0' }, DECL);
  assert.equal(cfg.vault?.timeoutMs, 250);
  assert.equal(cfg.refreshIntervalMs, 0);
  assert.equal(secretsFromEnv({ SERPER_API_KEY: 'v', OPENAI_API_KEY: 'v' }, DECL).refreshIntervalMs, 60_000);
  const p = problems({ ...VAULT_BASE, VAULT_TIMEOUT_MS: '5', SECRETS_REFRESH_INTERVAL_MS: '-1' });
  assert.equal(p.length, 2);
  assert.match(p.join(), /VAULT_TIMEOUT_MS/);
  assert.match(p.join(), /SECRETS_REFRESH_INTERVAL_MS/);
});

test('vault mode: VAULT_SKIP_VERIFY is refused outside development, whatever its value', { timeout: 5000 }, () => {
  for (const v of ['true', '1', 'false', '0', '']) {
    const p = problems({ ...VAULT_BASE, VAULT_SKIP_VERIFY: v });
    assert.equal(p.length, 1, `value ${JSON.stringify(v)}`);
    assert.match(p[0] ?? '', /VAULT_SKIP_VERIFY is set: refused outside development/);
  }
  const dev = secretsFromEnv({ ...VAULT_BASE, VAULT_SKIP_VERIFY: 'true', NODE_ENV: 'development' }, DECL);
  assert.equal(dev.vault?.skipVerify, true);
  assert.ok(dev.warnings.some((w) => w.includes('TLS verification of Vault is OFF')));
  assert.equal(secretsFromEnv({ ...VAULT_BASE, VAULT_SKIP_VERIFY: 'false', NODE_ENV: 'development' }, DECL).vault?.skipVerify, false);
});

test('vault mode: https required except to loopback; no credentials or paths in VAULT_ADDR', { timeout: 5000 }, () => {
  assert.match(problems({ ...VAULT_BASE, VAULT_ADDR: 'http://vault.example:8200' })[0] ?? '', /must use https/);
  assert.match(problems({ ...VAULT_BASE, VAULT_ADDR: 'http://10.0.0.5:8200' })[0] ?? '', /must use https/);
  assert.match(problems({ ...VAULT_BASE, VAULT_ADDR: 'https://u:p@vault.example' })[0] ?? '', /credentials/);
  assert.match(problems({ ...VAULT_BASE, VAULT_ADDR: 'https://vault.example/v1/' })[0] ?? '', /base URL/);
  assert.match(problems({ ...VAULT_BASE, VAULT_ADDR: 'not a url' })[0] ?? '', /not a valid URL/);
  for (const addr of ['http://127.0.0.1:8200', 'http://localhost:8200', 'http://[::1]:8200/']) {
    assert.deepEqual(problems({ ...VAULT_BASE, VAULT_ADDR: addr }), [], addr);
  }
});

test('vault mode: every problem at once (role, path, data/ prefix, secret in env, bad numbers)', { timeout: 5000 }, () => {
  const p = problems({ VAULT_ADDR: 'https://vault.example', VAULT_SECRET_PATH: 'data/stats-agent', SERPER_API_KEY: 'in-env-value-123', VAULT_TIMEOUT_MS: 'soon', VAULT_AUTH: 'kubernetes' });
  const text = p.join('\n');
  assert.match(text, /VAULT_ROLE is required/);
  assert.match(text, /without data\//);
  assert.match(text, /SERPER_API_KEY: secrets come from Vault/);
  assert.match(text, /VAULT_TIMEOUT_MS/);
  assert.ok(!text.includes('in-env-value-123'));
  assert.match(problems({ VAULT_ADDR: 'https://vault.example', VAULT_ROLE: 'r' })[0] ?? '', /VAULT_SECRET_PATH is required/);
});

test('vault mode: approle needs a role id and a secret id FILE; VAULT_SECRET_ID is refused', { timeout: 5000 }, () => {
  const base = { VAULT_ADDR: 'https://vault.example', VAULT_AUTH: 'approle', VAULT_SECRET_PATH: 'p' };
  const p = problems({ ...base, VAULT_SECRET_ID: 'sid-value-1234' });
  assert.ok(p.some((x) => x.includes('VAULT_SECRET_ID is not read')));
  assert.ok(p.some((x) => x.includes('VAULT_ROLE_ID or VAULT_ROLE_ID_FILE is required')));
  assert.ok(p.some((x) => x.includes('VAULT_SECRET_ID_FILE is required')));
  assert.ok(!p.join().includes('sid-value-1234'));
  const cfg = secretsFromEnv({ ...base, VAULT_ROLE_ID: 'role-1', VAULT_SECRET_ID_FILE: '/run/secrets/sid', VAULT_AUTH_MOUNT: 'approle-prod' }, DECL);
  assert.deepEqual(cfg.vault?.auth, { method: 'approle', mount: 'approle-prod', roleId: { variable: 'VAULT_ROLE_ID' }, secretIdFile: '/run/secrets/sid' });
});

test('vault mode: token auth is the default when a token is given; VAULT_TOKEN + _FILE refused', { timeout: 5000 }, () => {
  const cfg = secretsFromEnv({ VAULT_ADDR: 'https://vault.example', VAULT_TOKEN_FILE: '/run/secrets/vt', VAULT_SECRET_PATH: 'p' }, DECL);
  assert.deepEqual(cfg.vault?.auth, { method: 'token', token: { file: '/run/secrets/vt' } });
  assert.match(problems({ VAULT_ADDR: 'https://vault.example', VAULT_TOKEN: 'hvs.x', VAULT_TOKEN_FILE: '/x', VAULT_SECRET_PATH: 'p' })[0] ?? '', /both set/);
  assert.match(problems({ VAULT_ADDR: 'https://vault.example', VAULT_AUTH: 'token', VAULT_SECRET_PATH: 'p' })[0] ?? '', /VAULT_TOKEN or VAULT_TOKEN_FILE is required/);
  assert.match(problems({ VAULT_ADDR: 'https://vault.example', VAULT_AUTH: 'ldap', VAULT_SECRET_PATH: 'p' }).join(), /VAULT_AUTH/);
});

test('per-secret Vault path and field override the defaults', { timeout: 5000 }, () => {
  const cfg = secretsFromEnv({ VAULT_ADDR: 'https://vault.example', VAULT_ROLE: 'r' }, [{ name: 'OPENAI_API_KEY', vault: { path: 'shared/llm', field: 'openai' } }]);
  assert.deepEqual(cfg.secrets[0], { name: 'OPENAI_API_KEY', required: true, vaultPath: 'shared/llm', vaultField: 'openai' });
});
