import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { splitDerCertificates, spiffeIdFromCertificate, spiffeIdFromPeerCertificate } from './certificate.js';
import { SpiffeError } from './errors.js';
import { TestCa } from './testing/ca.js';

const T = { timeout: 10_000 };

test('splitDerCertificates splits concatenated DER that X509Certificate would truncate', T, async () => {
  const ca = await TestCa.create({ trustDomain: 'stats-agent.local' });
  const svid = await (await ca.createIntermediate()).mintSvid({ spiffeId: 'spiffe://stats-agent.local/a' });
  const der = Buffer.concat([svid.certChainDer, ca.bundleDer()]);
  // The trap this function exists for: node parses only the first certificate.
  assert.equal(new X509Certificate(der).serialNumber, svid.serialNumber);
  const certs = splitDerCertificates(der);
  assert.equal(certs.length, 3);
  assert.equal(certs[0]?.serialNumber, svid.serialNumber);
  assert.ok(certs[2]?.raw.equals(ca.bundleDer()));
  assert.deepEqual(splitDerCertificates(Buffer.alloc(0)), []);
  for (const bad of [Buffer.from([0x30, 0x82, 0x10]), Buffer.concat([der, Buffer.from([0x04, 0x01, 0x00])]), der.subarray(0, der.length - 1)]) {
    assert.throws(() => splitDerCertificates(bad), { code: 'SPIFFE_ERR_INVALID_CERTIFICATE' });
  }
});

test('spiffeIdFromCertificate reads the single URI SAN', T, async () => {
  const ca = await TestCa.create({ trustDomain: 'stats-agent.local' });
  const ok = splitDerCertificates((await ca.mintSvid({ spiffeId: 'spiffe://stats-agent.local/a' })).certChainDer)[0];
  assert.ok(ok);
  assert.equal(spiffeIdFromCertificate(ok).toString(), 'spiffe://stats-agent.local/a');
  const none = splitDerCertificates((await ca.mintSvid({ spiffeId: 'x', noUri: true })).certChainDer)[0];
  assert.ok(none);
  assert.throws(() => spiffeIdFromCertificate(none), { code: 'SPIFFE_ERR_SVID_INVALID' });
});

test('spiffeIdFromPeerCertificate reads Node subjectaltname strings', T, () => {
  assert.equal(
    spiffeIdFromPeerCertificate({ subjectaltname: 'URI:spiffe://stats-agent.local/ns/agents/sa/research' }).toString(),
    'spiffe://stats-agent.local/ns/agents/sa/research',
  );
  assert.equal(
    spiffeIdFromPeerCertificate({ subjectaltname: 'DNS:research, URI:spiffe://td/a, IP Address:127.0.0.1' }).toString(),
    'spiffe://td/a',
  );
  const cases: Array<[{ subjectaltname?: string } | null | undefined, string, RegExp]> = [
    [undefined, 'SPIFFE_ERR_NO_PEER_CERTIFICATE', /no certificate/],
    [null, 'SPIFFE_ERR_NO_PEER_CERTIFICATE', /no certificate/],
    [{}, 'SPIFFE_ERR_NO_PEER_CERTIFICATE', /no certificate/], // what Node gives without a peer cert
    [{ subjectaltname: 'DNS:research' }, 'SPIFFE_ERR_SVID_INVALID', /no URI SAN/],
    [{ subjectaltname: 'URI:spiffe://td/a, URI:spiffe://td/b' }, 'SPIFFE_ERR_SVID_INVALID', /2 URI SANs/],
    [{ subjectaltname: 'URI:https://td/a' }, 'SPIFFE_ERR_SVID_INVALID', /not a SPIFFE ID/],
    // Node quotes values holding a separator: a forged ", URI:" inside one value stays one value.
    [{ subjectaltname: 'URI:"spiffe://td/a, URI:spiffe://td/b"' }, 'SPIFFE_ERR_SVID_INVALID', /not a SPIFFE ID/],
  ];
  for (const [peer, code, reason] of cases) {
    assert.throws(
      () => spiffeIdFromPeerCertificate(peer),
      (err: unknown) => {
        assert.ok(err instanceof SpiffeError);
        assert.equal(err.code, code);
        assert.match(err.message, reason);
        return true;
      },
      JSON.stringify(peer),
    );
  }
});
