import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '@stats-agent/runtime';
import { loadConfig } from './config.js';

const base = { SPIFFE_ENDPOINT_SOCKET: 'unix:///tmp/agent.sock' };
const problems = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

test('authentication is required by default: no keys file and no issuer refuses to start', { timeout: 2000 }, () => {
  assert.match(problems(base).join('\n'), /AUTH_MODE: is required \(the default\) but neither API_KEYS_FILE nor OIDC_ISSUER is set/);
  assert.deepEqual(problems({ ...base, API_KEYS_FILE: '/etc/stats-agent/api-keys.json' }), []);
});

test('AUTH_MODE=none only on a loopback HTTP_HOST', { timeout: 2000 }, () => {
  assert.deepEqual(problems({ ...base, AUTH_MODE: 'none' }), []);
  assert.match(problems({ ...base, AUTH_MODE: 'none', HTTP_HOST: '0.0.0.0' }).join(), /only allowed when HTTP_HOST is loopback/);
});

test('OIDC: audience required, asymmetric algorithms only, URLs checked', { timeout: 2000 }, () => {
  const oidc = { ...base, OIDC_ISSUER: 'https://example.okta.com/oauth2/default' };
  assert.match(problems(oidc).join(), /OIDC_AUDIENCE: is required/);
  const ok = loadConfig({ ...oidc, OIDC_AUDIENCE: 'api://stats-agent' });
  assert.deepEqual(ok.OIDC_ALGORITHMS, ['RS256', 'ES256', 'PS256', 'EdDSA']);
  assert.match(problems({ ...oidc, OIDC_AUDIENCE: 'a', OIDC_ALGORITHMS: 'RS256,HS256' }).join(), /OIDC_ALGORITHMS\.1: must be asymmetric/);
  assert.match(problems({ ...oidc, OIDC_AUDIENCE: 'a', OIDC_ALGORITHMS: 'none' }).join(), /OIDC_ALGORITHMS\.0/);
  assert.match(problems({ ...base, OIDC_ISSUER: 'ftp://x', OIDC_AUDIENCE: 'a' }).join(), /OIDC_ISSUER/);
  assert.match(problems({ ...base, API_KEYS_FILE: 'k', OIDC_JWKS_URL: 'https://x/keys' }).join(), /OIDC_JWKS_URL: needs OIDC_ISSUER/);
});

test('rate limits, Redis, CORS origins and trusted proxies are parsed and checked', { timeout: 2000 }, () => {
  const keys = { ...base, API_KEYS_FILE: 'k' };
  const dflt = loadConfig(keys);
  assert.deepEqual([dflt.RATE_LIMIT_PER_MINUTE, dflt.RATE_LIMIT_BURST, dflt.CORS_ORIGINS, dflt.TRUST_PROXY, dflt.REDIS_URL], [60, 20, [], [], undefined]);
  const c = loadConfig({ ...keys, CORS_ORIGINS: 'https://a.example.com, http://localhost:3000', TRUST_PROXY: 'loopback,10.0.0.0/8', REDIS_URL: 'redis://127.0.0.1:6379/0' });
  assert.deepEqual(c.CORS_ORIGINS, ['https://a.example.com', 'http://localhost:3000']);
  assert.deepEqual(c.TRUST_PROXY, ['loopback', '10.0.0.0/8']);
  assert.match(problems({ ...keys, CORS_ORIGINS: 'https://a.example.com/' }).join(), /CORS_ORIGINS\.0: each entry must be an origin/);
  assert.match(problems({ ...keys, CORS_ORIGINS: '*' }).join(), /CORS_ORIGINS\.0/);
  assert.match(problems({ ...keys, TRUST_PROXY: 'true' }).join(), /TRUST_PROXY\.0/);
  assert.match(problems({ ...keys, REDIS_URL: 'http://redis:6379' }).join(), /REDIS_URL/);
  assert.match(problems({ ...keys, RATE_LIMIT_PER_MINUTE: '0' }).join(), /RATE_LIMIT_PER_MINUTE/);
});
