import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createExtractor } from '@stats-agent/llm';
import { ConfigError } from '@stats-agent/runtime';
import { llmSettings, loadConfig } from './config.js';

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

test('config: rules is the default and needs nothing', { timeout: 5000 }, () => {
  const c = loadConfig(BASE);
  assert.equal(c.LLM_PROVIDER, 'rules');
  assert.equal(c.LLM_TIMEOUT_MS, 60_000);
  assert.equal(c.LLM_CONCURRENCY, 4);
  assert.equal(llmSettings(c), undefined);
});

test('config: the selected provider\'s key is required, named, reported with other problems, never printed', { timeout: 5000 }, () => {
  assert.deepEqual(problemsOf({ ...BASE, LLM_PROVIDER: 'openai' }), ['OPENAI_API_KEY: is required when LLM_PROVIDER=openai']);
  assert.deepEqual(problemsOf({ ...BASE, LLM_PROVIDER: 'anthropic', OPENAI_API_KEY: 'k' }), ['ANTHROPIC_API_KEY: is required when LLM_PROVIDER=anthropic']);
  assert.deepEqual(problemsOf({ ...BASE, LLM_PROVIDER: 'gemini' }), ['GEMINI_API_KEY: is required when LLM_PROVIDER=gemini']);
  assert.deepEqual(problemsOf({ ...BASE, LLM_PROVIDER: 'xai' }), ['XAI_API_KEY: is required when LLM_PROVIDER=xai']);
  const problems = problemsOf({ ...BASE, LLM_PROVIDER: 'openai', FETCH_TIMEOUT_MS: 'soon', LLM_BASE_URL: `http://api.example.com/v1?key=${SECRET}` });
  assert.deepEqual(problems.map((p) => p.split(':')[0]).sort(), ['FETCH_TIMEOUT_MS', 'LLM_BASE_URL', 'OPENAI_API_KEY']);
  assert.ok(problems.every((p) => !p.includes(SECRET)));
  const bad = problemsOf({ ...BASE, LLM_PROVIDER: 'openai', OPENAI_API_KEY: SECRET, LLM_TIMEOUT_MS: '5' });
  assert.deepEqual(bad.map((p) => p.split(':')[0]), ['LLM_TIMEOUT_MS']);
  assert.ok(bad.every((p) => !p.includes(SECRET)));
  assert.deepEqual(problemsOf({ ...BASE, LLM_PROVIDER: 'cohere' }).map((p) => p.split(':')[0]), ['LLM_PROVIDER']);
});

test('config: base URLs are https, or http only to loopback', { timeout: 5000 }, () => {
  const withKey = { ...BASE, LLM_PROVIDER: 'openai', OPENAI_API_KEY: SECRET };
  assert.match(problemsOf({ ...withKey, LLM_BASE_URL: 'http://llm.internal:8000/v1' })[0] ?? '', /^LLM_BASE_URL: must be https/);
  assert.match(problemsOf({ ...withKey, LLM_BASE_URL: 'https://user:pw@llm.example.com/v1' })[0] ?? '', /^LLM_BASE_URL: must not contain credentials/);
  assert.deepEqual(problemsOf({ ...withKey, LLM_BASE_URL: 'http://127.0.0.1:8080/v1' }), []);
  assert.deepEqual(problemsOf({ ...withKey, LLM_BASE_URL: 'https://gateway.example.com/openai/v1' }), []);
  assert.match(problemsOf({ ...withKey, LLM_MODEL: 'gpt 4; rm -rf' })[0] ?? '', /^LLM_MODEL: must be a model name/);
});

test('config: ollama needs no key; vllm needs a model and a base URL', { timeout: 5000 }, () => {
  const ollama = llmSettings(loadConfig({ ...BASE, LLM_PROVIDER: 'ollama' }));
  assert.ok(ollama);
  assert.equal(ollama.apiKey(), '');
  const ex = createExtractor(ollama);
  assert.equal(ex.model, 'llama3.1');
  void ex.close();
  assert.deepEqual(problemsOf({ ...BASE, LLM_PROVIDER: 'vllm' }).sort(), ['LLM_BASE_URL: is required when LLM_PROVIDER=vllm', 'LLM_MODEL: is required when LLM_PROVIDER=vllm']);
  const vllm = llmSettings(loadConfig({ ...BASE, LLM_PROVIDER: 'vllm', LLM_MODEL: 'Qwen/Qwen2.5-7B-Instruct', LLM_BASE_URL: 'http://localhost:8000/v1', LLM_API_KEY: 'local-token' }));
  assert.equal(vllm?.apiKey(), 'local-token');
  assert.equal(vllm?.model, 'Qwen/Qwen2.5-7B-Instruct');
});

test('config: llmSettings passes the provider, model, bounds and a key reader', { timeout: 5000 }, () => {
  const s = llmSettings(loadConfig({ ...BASE, LLM_PROVIDER: 'anthropic', ANTHROPIC_API_KEY: ` ${SECRET} `, LLM_MODEL: 'claude-sonnet-4-5', LLM_TIMEOUT_MS: '30000', LLM_CONCURRENCY: '2' }));
  assert.ok(s);
  assert.deepEqual({ ...s, apiKey: undefined }, { provider: 'anthropic', model: 'claude-sonnet-4-5', baseUrl: undefined, timeoutMs: 30_000, maxConcurrent: 2, apiKey: undefined });
  assert.equal(s.apiKey(), SECRET);
});
