import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '@stats-agent/runtime';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSecrets, SecretsError } from '@stats-agent/secrets';
import { loadConfig, researchSecrets } from './config.js';

const BASE = { SPIFFE_ENDPOINT_SOCKET: 'unix:///tmp/agent.sock' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  return [];
}

test('config: local is the default and needs no key; web defaults are the public endpoints', { timeout: 5000 }, () => {
  const c = loadConfig(BASE);
  assert.equal(c.SEARCH_PROVIDER, 'local');
  assert.equal(c.SEARCH_TIMEOUT_MS, 10_000);
  assert.equal(c.SEARCH_MAX_PAGES, 5);
  assert.equal(c.SERPER_BASE_URL, 'https://google.serper.dev');
  assert.equal(c.SERPAPI_BASE_URL, 'https://serpapi.com');
});

test('secrets: the selected provider\'s key is declared required, from the environment, a *_FILE mount or Vault', { timeout: 5000 }, async () => {
  assert.deepEqual(researchSecrets(loadConfig(BASE)), []);
  assert.deepEqual(researchSecrets(loadConfig({ ...BASE, SEARCH_PROVIDER: 'serper' })), [{ name: 'SERPER_API_KEY', required: true }]);
  assert.deepEqual(researchSecrets(loadConfig({ ...BASE, SEARCH_PROVIDER: 'serpapi' })), [{ name: 'SERPAPI_API_KEY', required: true }]);
  const declare = researchSecrets({ SEARCH_PROVIDER: 'serpapi' });
  await assert.rejects(loadSecrets({ env: {}, declare, scrubber: false }), (err: unknown) => err instanceof SecretsError && /SERPAPI_API_KEY/.test(err.message));
  const secret = 'sk-do-not-print-me-0123';
  const dir = await mkdtemp(join(tmpdir(), 'research-secrets-'));
  try {
    await writeFile(join(dir, 'key'), `${secret}\n`, { mode: 0o600 });
    const secrets = await loadSecrets({ env: { SERPAPI_API_KEY_FILE: join(dir, 'key') }, declare, scrubber: false, refreshIntervalMs: 0 });
    assert.equal(secrets.require('SERPAPI_API_KEY'), secret);
    await secrets.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('config: problems are reported together, never with a value', { timeout: 5000 }, () => {
  const problems = problemsOf({ ...BASE, SEARCH_PROVIDER: 'serper', SEARCH_MAX_PAGES: '99', SEARCH_TIMEOUT_MS: 'soon', REDIS_URL: 'http://x' });
  assert.deepEqual(problems.map((p) => p.split(':')[0]).sort(), ['REDIS_URL', 'SEARCH_MAX_PAGES', 'SEARCH_TIMEOUT_MS']);
});

test('config: unknown providers are refused', { timeout: 5000 }, () => {
  assert.deepEqual(problemsOf({ ...BASE, SEARCH_PROVIDER: 'bing' }).map((p) => p.split(':')[0]), ['SEARCH_PROVIDER']);
});

test('config: base URLs are https, plain http only on loopback, without credentials or query', { timeout: 5000 }, () => {
  const env = { ...BASE, SEARCH_PROVIDER: 'serper' };
  assert.equal(loadConfig({ ...env, SERPER_BASE_URL: 'http://127.0.0.1:4010' }).SERPER_BASE_URL, 'http://127.0.0.1:4010');
  assert.equal(loadConfig({ ...env, SERPER_BASE_URL: 'http://localhost:4010/' }).SERPER_BASE_URL, 'http://localhost:4010/');
  assert.equal(loadConfig({ ...env, SERPER_BASE_URL: 'https://serper.internal.example/proxy' }).SERPER_BASE_URL, 'https://serper.internal.example/proxy');
  for (const bad of ['http://google.serper.dev', 'http://10.0.0.5', 'ftp://google.serper.dev', 'https://u:p@google.serper.dev', 'https://serpapi.com/?api_key=x', 'not a url']) {
    const problems = problemsOf({ ...env, SERPAPI_BASE_URL: bad });
    assert.equal(problems.length, 1, bad);
    assert.match(problems[0] ?? '', /^SERPAPI_BASE_URL: /);
    assert.ok(!(problems[0] ?? '').includes(bad), 'the value is not echoed');
  }
});
