import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authorizeAny, authorizeId, authorizeMemberOf, authorizeOneOf } from './authorizers.js';
import { SpiffeError } from './errors.js';
import { SpiffeId, TrustDomain } from './id.js';

const T = { timeout: 5000 };
const research = SpiffeId.parse('spiffe://stats-agent.local/ns/agents/sa/research');
const synthesis = SpiffeId.parse('spiffe://stats-agent.local/ns/agents/sa/synthesis');
const foreign = SpiffeId.parse('spiffe://evil.example/ns/agents/sa/research');

function refuses(authorize: (id: SpiffeId) => void, id: SpiffeId): void {
  assert.throws(
    () => authorize(id),
    (err: unknown) => {
      assert.ok(err instanceof SpiffeError);
      assert.equal(err.code, 'SPIFFE_ERR_UNAUTHORIZED');
      assert.ok(err.message.includes(id.toString()), `message names the refused ID: ${err.message}`);
      return true;
    },
  );
}

test('authorizeId accepts exactly one ID (given as SpiffeId or string)', T, () => {
  for (const authorize of [authorizeId(research), authorizeId(research.toString())]) {
    authorize(research);
    refuses(authorize, synthesis);
    refuses(authorize, foreign);
  }
  assert.throws(() => authorizeId('spiffe://bad/'), { code: 'SPIFFE_ERR_INVALID_ID' });
});

test('authorizeOneOf accepts any listed ID; an empty list accepts nobody', T, () => {
  const authorize = authorizeOneOf(research, synthesis.toString());
  authorize(research);
  authorize(synthesis);
  refuses(authorize, foreign);
  refuses(authorizeOneOf(), research);
});

test('authorizeMemberOf accepts the members of one trust domain', T, () => {
  for (const authorize of [authorizeMemberOf('stats-agent.local'), authorizeMemberOf(TrustDomain.parse('stats-agent.local'))]) {
    authorize(research);
    authorize(synthesis);
    refuses(authorize, foreign);
  }
});

test('authorizeAny accepts every ID', T, () => {
  const authorize = authorizeAny();
  authorize(research);
  authorize(foreign);
});
