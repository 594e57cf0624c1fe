import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { splitDerCertificates } from './certificate.js';
import { SpiffeError } from './errors.js';
import { createX509Bundle, validateX509Svid, type X509Bundle } from './svid.js';
import { TestCa, type MintSvidOptions } from './testing/ca.js';

const T = { timeout: 10_000 };
const ID = 'spiffe://stats-agent.local/ns/agents/sa/research';
let ca: TestCa;
let otherCa: TestCa;
let bundle: X509Bundle;

before(async () => {
  ca = await TestCa.create({ trustDomain: 'stats-agent.local' });
  otherCa = await TestCa.create({ trustDomain: 'other.example' });
  bundle = createX509Bundle(ca.trustDomain, splitDerCertificates(ca.bundleDer()));
}, { timeout: 20_000 });

async function chainOf(opts: Partial<MintSvidOptions>, issuer: TestCa = ca) {
  const svid = await issuer.mintSvid({ spiffeId: ID, ...opts });
  return splitDerCertificates(svid.certChainDer);
}

function rejects(fn: () => unknown, reason: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SpiffeError, String(err));
    assert.equal(err.code, 'SPIFFE_ERR_SVID_INVALID');
    assert.match(err.message, reason);
    return true;
  });
}

test('a valid X509-SVID is accepted and its SPIFFE ID returned', T, async () => {
  const id = validateX509Svid(await chainOf({}), bundle);
  assert.equal(id.toString(), ID);
});

test('a chain through an intermediate CA is accepted', T, async () => {
  const intermediate = await ca.createIntermediate();
  const chain = await chainOf({}, intermediate);
  assert.equal(chain.length, 2);
  assert.equal(validateX509Svid(chain, bundle).toString(), ID);
  // Without the intermediate the leaf does not reach the root.
  rejects(() => validateX509Svid(chain.slice(0, 1), bundle), /does not verify up to an authority/);
});

test('each broken X509-SVID rule is rejected with its own reason', T, async () => {
  const cases: Array<[string, Partial<MintSvidOptions>, RegExp, TestCa?]> = [
    ['no URI SAN', { noUri: true }, /leaf certificate has no URI SAN/],
    ['two URI SANs', { extraUris: ['spiffe://stats-agent.local/ns/agents/sa/other'] }, /leaf certificate has 2 URI SANs/],
    ['non-SPIFFE URI', { spiffeId: 'https://research.stats-agent.local/' }, /leaf certificate URI SAN is not a SPIFFE ID: .*scheme/],
    ['leaf is a CA', { isCa: true }, /leaf certificate is a CA/],
    ['no key usage extension', { keyUsage: null }, /no key usage extension/],
    ['no digitalSignature', { keyUsage: ['keyEncipherment', 'keyAgreement'] }, /lacks digitalSignature/],
    ['keyCertSign', { keyUsage: ['digitalSignature', 'keyCertSign'] }, /includes keyCertSign/],
    ['cRLSign', { keyUsage: ['digitalSignature', 'cRLSign'] }, /includes cRLSign/],
    [
      'expired',
      { notBefore: new Date(Date.now() - 7200_000), notAfter: new Date(Date.now() - 3600_000) },
      /leaf certificate .* expired at/,
    ],
    ['not yet valid', { notBefore: new Date(Date.now() + 3600_000) }, /leaf certificate .* is not valid before/],
    // A CA of another trust domain forging an ID of ours: only the signature check can catch it.
    ['signed by another CA', {}, /does not verify up to an authority of the bundle of trust domain stats-agent\.local/, otherCa],
    ['trust domain differs from the bundle', { spiffeId: 'spiffe://other.example/ns/agents/sa/research' }, /not in trust domain stats-agent\.local/],
  ];
  const reasons = new Set<string>();
  for (const [name, opts, reason, issuer] of cases) {
    const chain = await chainOf(opts, issuer);
    assert.throws(
      () => validateX509Svid(chain, bundle),
      (err: unknown) => {
        assert.ok(err instanceof SpiffeError, `${name}: ${String(err)}`);
        assert.equal(err.code, 'SPIFFE_ERR_SVID_INVALID', name);
        assert.match(err.message, reason, `${name}: ${err.message}`);
        reasons.add(err.message.replace(/serial \w+|\d{4}-\d\d-\d\dT[\d:.]+Z/g, ''));
        return true;
      },
      name,
    );
  }
  assert.equal(reasons.size, cases.length, 'every rule has a distinct reason');
});

test('validity is judged at `now`', T, async () => {
  const chain = await chainOf({ ttlSeconds: 60 });
  assert.equal(validateX509Svid(chain, bundle, new Date(Date.now() + 30_000)).toString(), ID);
  rejects(() => validateX509Svid(chain, bundle, new Date(Date.now() + 120_000)), /expired at/);
  rejects(() => validateX509Svid(chain, bundle, new Date(Date.now() - 3600_000)), /not valid before/);
});

test('an empty chain and an empty bundle are rejected', T, async () => {
  rejects(() => validateX509Svid([], bundle), /empty certificate chain/);
  const chain = await chainOf({});
  rejects(() => validateX509Svid(chain, createX509Bundle(ca.trustDomain, [])), /has no authorities/);
});

test('an intermediate that is not a CA breaks the chain', T, async () => {
  const leaf = await chainOf({});
  const notCa = await chainOf({ spiffeId: 'spiffe://stats-agent.local/x' });
  rejects(() => validateX509Svid([...leaf, ...notCa], bundle), /intermediate certificate #1 is not a CA/);
});
