import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasScope, scopesFromClaims } from './scopes.js';

test('stats:admin implies the other scopes; the others imply nothing', { timeout: 1000 }, () => {
  assert.ok(hasScope(['stats:admin'], 'stats:search'));
  assert.ok(hasScope(['stats:admin'], 'stats:read'));
  assert.ok(hasScope(['stats:search'], 'stats:search'));
  assert.ok(!hasScope(['stats:search'], 'stats:read'));
  assert.ok(!hasScope(['stats:read', 'stats:search'], 'stats:admin'));
  assert.ok(!hasScope([], 'stats:search'));
});

test('scopes come from a space-separated scope claim or an Okta scp array; unknown ones are dropped', { timeout: 1000 }, () => {
  assert.deepEqual(scopesFromClaims({ scope: 'openid stats:search  stats:read' }), ['stats:search', 'stats:read']);
  assert.deepEqual(scopesFromClaims({ scp: ['stats:read', 'profile', 7] }), ['stats:read']);
  assert.deepEqual(scopesFromClaims({ scope: 'stats:read', scp: ['stats:read', 'stats:admin'] }), ['stats:read', 'stats:admin']);
  assert.deepEqual(scopesFromClaims({ scope: 42, scp: { a: 1 } }), []);
  assert.deepEqual(scopesFromClaims({ scope: 'STATS:SEARCH stats:searchx' }), []);
});
