import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpiffeError } from './errors.js';
import { SpiffeId, TrustDomain } from './id.js';

const T = { timeout: 5000 };

test('SpiffeId.parse accepts valid IDs and exposes their parts', T, () => {
  const id = SpiffeId.parse('spiffe://stats-agent.local/ns/agents/sa/research');
  assert.equal(id.trustDomain.name, 'stats-agent.local');
  assert.equal(id.path, '/ns/agents/sa/research');
  assert.equal(id.toString(), 'spiffe://stats-agent.local/ns/agents/sa/research');
  assert.equal(JSON.stringify({ id }), '{"id":"spiffe://stats-agent.local/ns/agents/sa/research"}');
  assert.ok(id.memberOf(TrustDomain.parse('stats-agent.local')));
  assert.ok(!id.memberOf(TrustDomain.parse('other.local')));
  assert.ok(id.equals(SpiffeId.parse(id.toString())));
  assert.ok(!id.equals(SpiffeId.parse('spiffe://stats-agent.local/ns/agents/sa/Research')));

  const root = SpiffeId.parse('spiffe://example.org');
  assert.equal(root.path, '');
  for (const ok of [
    'spiffe://a_b-c.d/Path.With-All_Chars/0',
    'spiffe://1.2.3.4/x',
    'spiffe://td/...x/.a/..b',
    `spiffe://td/${'a'.repeat(2036)}`,
  ]) {
    assert.equal(SpiffeId.parse(ok).toString(), ok);
  }
});

test('SpiffeId.parse rejects invalid IDs, each with its reason', T, () => {
  const cases: Array<[string, RegExp]> = [
    ['', /cannot be empty/],
    ['http://example.org/a', /scheme is missing or invalid/],
    ['SPIFFE://example.org/a', /scheme is missing or invalid/],
    ['example.org/a', /scheme is missing or invalid/],
    ['spiffe:/example.org/a', /scheme is missing or invalid/],
    ['spiffe://', /trust domain is missing/],
    ['spiffe:///path', /trust domain is missing/],
    ['spiffe://Example.org/a', /trust domain must be lowercase/],
    ['spiffe://example.org:8443/a', /cannot contain a port/],
    ['spiffe://user@example.org/a', /cannot contain userinfo/],
    ['spiffe://example.org/a?x=1', /cannot contain a query/],
    ['spiffe://example.org?x=1', /cannot contain a query/],
    ['spiffe://example.org/a#frag', /cannot contain a fragment/],
    ['spiffe://exa mple.org/a', /trust domain characters are limited/],
    ['spiffe://example.org/', /trailing slash/],
    ['spiffe://example.org/a/', /trailing slash/],
    ['spiffe://example.org//a', /empty segments/],
    ['spiffe://example.org/a/./b', /dot segments/],
    ['spiffe://example.org/a/..', /dot segments/],
    ['spiffe://example.org/a%20b', /percent-encoded/],
    ['spiffe://example.org/a b', /path segment characters are limited/],
    ['spiffe://example.org/caf\u00e9', /path segment characters are limited/],
    [`spiffe://example.org/${'a'.repeat(2048)}`, /longer than 2048 bytes/],
    [`spiffe://${'a'.repeat(256)}/x`, /longer than 255 characters/],
  ];
  for (const [input, reason] of cases) {
    assert.throws(
      () => SpiffeId.parse(input),
      (err: unknown) => {
        assert.ok(err instanceof SpiffeError, `${input}: SpiffeError`);
        assert.equal(err.code, 'SPIFFE_ERR_INVALID_ID');
        assert.match(err.message, /^spiffe: invalid SPIFFE ID /);
        assert.match(err.message, reason, `${JSON.stringify(input)} → ${err.message}`);
        return true;
      },
    );
  }
});

test('TrustDomain.parse takes a name or a SPIFFE ID and builds IDs', T, () => {
  const td = TrustDomain.parse('stats-agent.local');
  assert.equal(td.name, 'stats-agent.local');
  assert.equal(td.idString(), 'spiffe://stats-agent.local');
  assert.equal(td.toString(), 'stats-agent.local');
  assert.ok(td.equals(TrustDomain.parse('spiffe://stats-agent.local')));
  assert.ok(td.equals(TrustDomain.parse('spiffe://stats-agent.local/ns/x')));
  assert.equal(td.id('/ns/agents/sa/research').toString(), 'spiffe://stats-agent.local/ns/agents/sa/research');
  assert.equal(td.id('').toString(), 'spiffe://stats-agent.local');
  assert.throws(() => td.id('no-leading-slash'), { code: 'SPIFFE_ERR_INVALID_ID' });
  assert.throws(() => td.id('/a/'), /trailing slash/);
  for (const [bad, reason] of [
    ['', /trust domain is missing/],
    ['Upper.org', /must be lowercase/],
    ['example.org:80', /port/],
    ['exa mple', /limited to lowercase letters/],
    ['http://example.org', /scheme/],
  ] as const) {
    assert.throws(() => TrustDomain.parse(bad), (err: unknown) => {
      assert.ok(err instanceof SpiffeError);
      assert.equal(err.code, 'SPIFFE_ERR_INVALID_ID');
      assert.match(err.message, reason);
      return true;
    });
  }
});
