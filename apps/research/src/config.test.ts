import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '@stats-agent/runtime';
import { loadConfig } from './config.js';

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
  assert.equal(c.SERPER_API_KEY, undefined);
});

test('config: the selected provider\'s key is required, named, never printed', { timeout: 5000 }, () => {
  assert.deepEqual(problemsOf({ ...BASE, SEARCH_PROVIDER: 'serper' }), ['SERPER_API_KEY: is required when SEARCH_PROVIDER=serper']);
  assert.deepEqual(problemsOf({ ...BASE, SEARCH_PROVIDER: 'serpapi', SERPER_API_KEY: 'k' }), ['SERPAPI_API_KEY: is required when SEARCH_PROVIDER=serpapi']);
  const secret = 'sk-do-not-print-me-0123';
  const c = loadConfig({ ...BASE, SEARCH_PROVIDER: 'serpapi', SERPAPI_API_KEY: secret });
  assert.equal(c.SERPAPI_API_KEY, secret);
  const problems = problemsOf({ ...BASE, SEARCH_PROVIDER: 'serpapi', SERPAPI_API_KEY: secret, SEARCH_TIMEOUT_MS: 'soon' });
  assert.deepEqual(problems.map((p) => p.split(':')[0]), ['SEARCH_TIMEOUT_MS']);
  assert.ok(problems.every((p) => !p.includes(secret)));
});

test('config: a missing key is reported together with the other problems', { timeout: 5000 }, () => {
  const problems = problemsOf({ ...BASE, SEARCH_PROVIDER: 'serper', SEARCH_MAX_PAGES: '99' });
  assert.deepEqual(problems.map((p) => p.split(':')[0]).sort(), ['SEARCH_MAX_PAGES', 'SERPER_API_KEY']);
});

test('config: unknown providers are refused', { timeout: 5000 }, () => {
  assert.deepEqual(problemsOf({ ...BASE, SEARCH_PROVIDER: 'bing' }).map((p) => p.split(':')[0]), ['SEARCH_PROVIDER']);
});

test('config: base URLs are https, plain http only on loopback, without credentials or query', { timeout: 5000 }, () => {
  const env = { ...BASE, SEARCH_PROVIDER: 'serper', SERPER_API_KEY: 'k' };
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
