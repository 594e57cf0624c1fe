import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createExtractor } from '@stats-agent/llm';
import { ConfigError } from '@stats-agent/runtime';
import { loadSecrets, SecretsError, type Secrets } from '@stats-agent/secrets';
import { llmSettings, loadConfig, synthesisSecrets } from './config.js';

const BASE = { SPIFFE_ENDPOINT_SOCKET: 'unix:///tmp/agent.sock' };
const SECRET = 'sk-do-not-print-me-0123456789';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  return [];
}

/** The secrets the service would load for `env` (config first, as main.ts does); not registered with the log scrubber. */
function secretsFor(env: Record<string, string>): Promise<Secrets> {
  return loadSecrets({ env, declare: synthesisSecrets(loadConfig(env)), scrubber: false, refreshIntervalMs: 0 });
}

/** The problems of the SecretsError that loading `env`'s secrets rejects with. */
async function secretProblemsOf(env: Record<string, string>): Promise<{ code: string; problems: readonly string[]; message: string }> {
  try {
    const s = await secretsFor(env);
    await s.close();
  } catch (err) {
    assert.ok(err instanceof SecretsError, String(err));
    return { code: err.code, problems: err.problems, message: err.message };
  }
  return { code: 'none', problems: [], message: '' };
}

test('config: rules is the default and needs nothing', { timeout: 5000 }, async () => {
  const c = loadConfig(BASE);
  assert.equal(c.LLM_PROVIDER, 'rules');
  assert.equal(c.LLM_TIMEOUT_MS, 60_000);
  assert.equal(c.LLM_CONCURRENCY, 4);
  assert.deepEqual(synthesisSecrets(c), []);
  const secrets = await secretsFor(BASE);
  assert.equal(llmSettings(c, secrets), undefined);
  await secrets.close();
  assert.equal(c.audit.file, undefined, 'no audit log unless AUDIT_LOG_FILE is set');
  assert.equal(loadConfig({ ...BASE, AUDIT_LOG_FILE: '/var/log/stats-agent/synthesis.audit.jsonl' }).audit.file, '/var/log/stats-agent/synthesis.audit.jsonl');
});

test('secrets: the selected provider\'s key is declared (required for hosted providers, optional for ollama and vllm)', { timeout: 5000 }, () => {
  const declared = (provider: string) => synthesisSecrets(loadConfig({ ...BASE, LLM_PROVIDER: provider, LLM_MODEL: 'm', LLM_BASE_URL: 'http://127.0.0.1:1/v1' }));
  assert.deepEqual(declared('openai'), [{ name: 'OPENAI_API_KEY', required: true }]);
  assert.deepEqual(declared('anthropic'), [{ name: 'ANTHROPIC_API_KEY', required: true }]);
  assert.deepEqual(declared('gemini'), [{ name: 'GEMINI_API_KEY', required: true }]);
  assert.deepEqual(declared('xai'), [{ name: 'XAI_API_KEY', required: true }]);
  assert.deepEqual(declared('ollama'), [{ name: 'LLM_API_KEY', required: false }]);
  assert.deepEqual(declared('vllm'), [{ name: 'LLM_API_KEY', required: false }]);
});

test('secrets: a missing key is named at start-up, never printed; other config problems are the config\'s', { timeout: 5000 }, async () => {
  assert.deepEqual(problemsOf({ ...BASE, LLM_PROVIDER: 'openai' }), [], 'the key is no longer the config\'s business');
  for (const [provider, name] of [['openai', 'OPENAI_API_KEY'], ['anthropic', 'ANTHROPIC_API_KEY'], ['gemini', 'GEMINI_API_KEY'], ['xai', 'XAI_API_KEY']] as const) {
    const r = await secretProblemsOf({ ...BASE, LLM_PROVIDER: provider, OPENAI_API_KEY: provider === 'openai' ? '' : SECRET });
    assert.equal(r.code, 'SECRETS_ERR_CONFIG', provider); // the env provider: a required variable that is not set
    assert.equal(r.problems.length, 1, provider);
    assert.equal(r.problems[0], `${name} is required: set ${name} or ${name}_FILE`, provider);
    assert.ok(!r.message.includes(SECRET) && !r.problems.some((p) => p.includes(SECRET)));
  }
  const problems = problemsOf({ ...BASE, LLM_PROVIDER: 'openai', FETCH_TIMEOUT_MS: 'soon', LLM_BASE_URL: `http://api.example.com/v1?key=${SECRET}` });
  assert.deepEqual(problems.map((p) => p.split(':')[0]).sort(), ['FETCH_TIMEOUT_MS', 'LLM_BASE_URL']);
  assert.ok(problems.every((p) => !p.includes(SECRET)));
  const bad = problemsOf({ ...BASE, LLM_PROVIDER: 'openai', OPENAI_API_KEY: SECRET, LLM_TIMEOUT_MS: '5' });
  assert.deepEqual(bad.map((p) => p.split(':')[0]), ['LLM_TIMEOUT_MS']);
  assert.ok(bad.every((p) => !p.includes(SECRET)));
  assert.deepEqual(problemsOf({ ...BASE, LLM_PROVIDER: 'cohere' }).map((p) => p.split(':')[0]), ['LLM_PROVIDER']);
  // Both the variable and its file: refused (one source of truth).
  const both = await secretProblemsOf({ ...BASE, LLM_PROVIDER: 'openai', OPENAI_API_KEY: SECRET, OPENAI_API_KEY_FILE: '/nonexistent/key' });
  assert.ok(both.problems.some((p) => p.includes('OPENAI_API_KEY')), JSON.stringify(both));
});

test('secrets: the key may come from a mounted file and is read at each call (a rotated file is used at once)', { timeout: 5000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'synthesis-key-'));
  try {
    const file = join(dir, 'openai');
    await writeFile(file, `${SECRET}\n`, { mode: 0o600 });
    const env = { ...BASE, LLM_PROVIDER: 'openai', OPENAI_API_KEY_FILE: file };
    const secrets = await secretsFor(env);
    const s = llmSettings(loadConfig(env), secrets);
    assert.ok(s);
    assert.equal(s.apiKey(), SECRET);
    await writeFile(file, 'sk-rotated-0123456789abcdef\n');
    await secrets.refresh();
    assert.equal(s.apiKey(), 'sk-rotated-0123456789abcdef');
    await secrets.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('config: base URLs are https, or http only to loopback', { timeout: 5000 }, () => {
  const withKey = { ...BASE, LLM_PROVIDER: 'openai', OPENAI_API_KEY: SECRET };
  assert.match(problemsOf({ ...withKey, LLM_BASE_URL: 'http://llm.internal:8000/v1' })[0] ?? '', /^LLM_BASE_URL: must be https/);
  assert.match(problemsOf({ ...withKey, LLM_BASE_URL: 'https://user:pw@llm.example.com/v1' })[0] ?? '', /^LLM_BASE_URL: must not contain credentials/);
  assert.deepEqual(problemsOf({ ...withKey, LLM_BASE_URL: 'http://127.0.0.1:8080/v1' }), []);
  assert.deepEqual(problemsOf({ ...withKey, LLM_BASE_URL: 'https://gateway.example.com/openai/v1' }), []);
  assert.match(problemsOf({ ...withKey, LLM_MODEL: 'gpt 4; rm -rf' })[0] ?? '', /^LLM_MODEL: must be a model name/);
});

test('config: ollama needs no key; vllm needs a model and a base URL', { timeout: 5000 }, async () => {
  const env = { ...BASE, LLM_PROVIDER: 'ollama' };
  const ollama = llmSettings(loadConfig(env), await secretsFor(env));
  assert.ok(ollama);
  assert.equal(ollama.apiKey(), '');
  const ex = createExtractor(ollama);
  assert.equal(ex.model, 'llama3.1');
  void ex.close();
  assert.deepEqual(problemsOf({ ...BASE, LLM_PROVIDER: 'vllm' }).sort(), ['LLM_BASE_URL: is required when LLM_PROVIDER=vllm', 'LLM_MODEL: is required when LLM_PROVIDER=vllm']);
  const vllmEnv = { ...BASE, LLM_PROVIDER: 'vllm', LLM_MODEL: 'Qwen/Qwen2.5-7B-Instruct', LLM_BASE_URL: 'http://localhost:8000/v1', LLM_API_KEY: 'local-token-0123' };
  const vllm = llmSettings(loadConfig(vllmEnv), await secretsFor(vllmEnv));
  assert.equal(vllm?.apiKey(), 'local-token-0123');
  assert.equal(vllm?.model, 'Qwen/Qwen2.5-7B-Instruct');
});

test('config: llmSettings passes the provider, model, bounds and a key reader', { timeout: 5000 }, async () => {
  const env = { ...BASE, LLM_PROVIDER: 'anthropic', ANTHROPIC_API_KEY: SECRET, LLM_MODEL: 'claude-sonnet-4-5', LLM_TIMEOUT_MS: '30000', LLM_CONCURRENCY: '2' };
  const secrets = await secretsFor(env);
  const s = llmSettings(loadConfig(env), secrets);
  assert.ok(s);
  assert.deepEqual({ ...s, apiKey: undefined }, { provider: 'anthropic', model: 'claude-sonnet-4-5', baseUrl: undefined, timeoutMs: 30_000, maxConcurrent: 2, apiKey: undefined });
  assert.equal(s.apiKey(), SECRET);
  await secrets.close();
  // A store without the key (closed, or the key gone) makes the call fail, never send an empty key.
  assert.throws(() => llmSettings(loadConfig(env), { get: () => undefined, require: () => { throw new SecretsError('SECRETS_ERR_MISSING', 'secrets: ANTHROPIC_API_KEY is not set'); } })?.apiKey(), /ANTHROPIC_API_KEY is not set/);
});
