import { X509Certificate } from 'node:crypto';
import { readCertificateFields, type CertificateFields } from './certificate-fields.js';
import { readTlv } from './der.js';
import { SpiffeError } from './errors.js';
import { SpiffeId } from './id.js';

/**
 * Splits concatenated DER certificates (the Workload API's `x509_svid` and `bundle` fields) into
 * certificates, in order. `new X509Certificate(der)` alone would silently keep only the first.
 * An empty buffer gives an empty array; malformed DER throws SpiffeError
 * SPIFFE_ERR_INVALID_CERTIFICATE.
 */
export function splitDerCertificates(der: Buffer): X509Certificate[] {
  const out: X509Certificate[] = [];
  let offset = 0;
  while (offset < der.length) {
    let end: number;
    try {
      const tlv = readTlv(der, offset);
      if (tlv.tag !== 0x30) throw new Error(`expected a SEQUENCE, found tag 0x${tlv.tag.toString(16)}`);
      end = tlv.end;
      out.push(new X509Certificate(der.subarray(offset, end)));
    } catch (err) {
      throw new SpiffeError(
        'SPIFFE_ERR_INVALID_CERTIFICATE',
        `certificate #${out.length} (at byte ${offset}) is not valid DER: ${(err as Error).message}`,
        { cause: err },
      );
    }
    offset = end;
  }
  return out;
}

/** The SVID-relevant fields of `cert`; throws SpiffeError SPIFFE_ERR_INVALID_CERTIFICATE. */
export function certificateFields(cert: X509Certificate): CertificateFields {
  try {
    return readCertificateFields(cert.raw);
  } catch (err) {
    throw new SpiffeError(
      'SPIFFE_ERR_INVALID_CERTIFICATE',
      `certificate ${cert.serialNumber} cannot be read: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Applies the "exactly one URI SAN, a valid SPIFFE ID" rule to a list of URI SANs. */
function idFromUris(uris: string[], what: string): SpiffeId {
  if (uris.length === 0) {
    throw new SpiffeError('SPIFFE_ERR_SVID_INVALID', `${what} has no URI SAN (an X509-SVID has exactly one)`);
  }
  if (uris.length > 1) {
    throw new SpiffeError(
      'SPIFFE_ERR_SVID_INVALID',
      `${what} has ${uris.length} URI SANs (an X509-SVID has exactly one): ${uris.join(', ')}`,
    );
  }
  const uri = uris[0] as string;
  try {
    return SpiffeId.parse(uri);
  } catch (err) {
    throw new SpiffeError(
      'SPIFFE_ERR_SVID_INVALID',
      `${what} URI SAN is not a SPIFFE ID: ${(err as Error).message.replace(/^spiffe: /, '')}`,
      { cause: err },
    );
  }
}

/**
 * The SPIFFE ID of a certificate: its single URI SAN. Checks nothing else (see
 * validateX509Svid). Throws SpiffeError SPIFFE_ERR_SVID_INVALID when there is not exactly one
 * URI SAN or it is not a valid SPIFFE ID.
 */
export function spiffeIdFromCertificate(cert: X509Certificate): SpiffeId {
  return idFromUris(certificateFields(cert).uris, 'certificate');
}

/**
 * Reads Node's `subjectaltname` string ("URI:spiffe://a, DNS:b"). Node quotes, JSON-style, any
 * value holding a separator or quote (CVE-2021-44533), so a quoted value is decoded, not split.
 */
function urisFromSubjectAltName(san: string): string[] {
  const uris: string[] = [];
  let i = 0;
  while (i < san.length) {
    const colon = san.indexOf(':', i);
    if (colon === -1) throw new Error(`malformed subjectaltname ${JSON.stringify(san)}`);
    const type = san.slice(i, colon);
    let value: string;
    let next: number;
    if (san[colon + 1] === '"') {
      let j = colon + 2;
      while (j < san.length && san[j] !== '"') j += san[j] === '\\' ? 2 : 1;
      value = JSON.parse(san.slice(colon + 1, j + 1)) as string;
      next = j + 1;
    } else {
      const sep = san.indexOf(', ', colon + 1);
      next = sep === -1 ? san.length : sep;
      value = san.slice(colon + 1, next);
    }
    if (type === 'URI') uris.push(value);
    if (next < san.length && !san.startsWith(', ', next)) {
      throw new Error(`malformed subjectaltname ${JSON.stringify(san)}`);
    }
    i = next + 2;
  }
  return uris;
}

/**
 * The SPIFFE ID of a TLS peer from its `subjectaltname` (a `tls.PeerCertificate`, or grpc-js
 * `call.getAuthContext().sslPeerCertificate`). The chain is assumed verified by TLS already.
 * Throws SpiffeError SPIFFE_ERR_NO_PEER_CERTIFICATE when there is no certificate (Node gives `{}`
 * then), SPIFFE_ERR_SVID_INVALID when there is not exactly one valid SPIFFE ID URI SAN.
 */
export function spiffeIdFromPeerCertificate(peer: { subjectaltname?: string } | undefined | null): SpiffeId {
  if (!peer || Object.keys(peer).length === 0) {
    throw new SpiffeError('SPIFFE_ERR_NO_PEER_CERTIFICATE', 'the peer presented no certificate');
  }
  let uris: string[];
  try {
    uris = urisFromSubjectAltName(peer.subjectaltname ?? '');
  } catch (err) {
    throw new SpiffeError('SPIFFE_ERR_SVID_INVALID', `peer certificate: ${(err as Error).message}`, { cause: err });
  }
  return idFromUris(uris, 'peer certificate');
}
