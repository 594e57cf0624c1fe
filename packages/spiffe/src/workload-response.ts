import { createPrivateKey } from 'node:crypto';
import type { X509SVIDResponse__Output } from '@stats-agent/proto';
import { certificateFields, splitDerCertificates } from './certificate.js';
import { SpiffeError } from './errors.js';
import { SpiffeId, TrustDomain } from './id.js';
import { createX509Bundle, validateX509Svid, type X509Bundle, type X509Svid } from './svid.js';

/** One accepted Workload API message: the default SVID, its bundle, the federated bundles. */
export interface X509Context {
  svid: X509Svid;
  bundle: X509Bundle;
  /** Keyed by trust domain name. */
  federated: Map<string, X509Bundle>;
  /** Federated entries that were skipped, with why (for the log). */
  skipped: Array<{ trustDomain: string; reason: string }>;
}

function bad(reason: string, cause?: unknown): SpiffeError {
  return new SpiffeError('SPIFFE_ERR_SVID_INVALID', `Workload API response refused: ${reason}`, { cause });
}

/**
 * Turns an X509SVIDResponse into an X509Context, validating the default (first) SVID against its
 * own bundle and checking that the private key matches the leaf. Throws SpiffeError (never
 * returns a partly valid context); the message never contains key material.
 */
export function parseX509SvidResponse(response: X509SVIDResponse__Output, now: Date = new Date()): X509Context {
  const first = response.svids[0];
  if (!first) throw bad('no SVID in the response');
  let claimed: SpiffeId;
  try {
    claimed = SpiffeId.parse(first.spiffe_id);
  } catch (err) {
    throw bad(`spiffe_id: ${(err as Error).message}`, err);
  }
  const certificates = splitDerCertificates(first.x509_svid);
  const leaf = certificates[0];
  if (!leaf) throw bad('x509_svid holds no certificate');
  const authorities = splitDerCertificates(first.bundle);
  const bundle = createX509Bundle(claimed.trustDomain, authorities);
  const id = validateX509Svid(certificates, bundle, now);
  if (!id.equals(claimed)) throw bad(`spiffe_id ${claimed.toString()} differs from the certificate's ${id.toString()}`);

  let privateKeyPem: string;
  try {
    const key = createPrivateKey({ key: first.x509_svid_key, format: 'der', type: 'pkcs8' });
    if (!leaf.checkPrivateKey(key)) {
      throw new Error('the private key does not match the leaf certificate');
    }
    privateKeyPem = key.export({ format: 'pem', type: 'pkcs8' }).toString();
  } catch (err) {
    // The cause is dropped on purpose: OpenSSL errors can quote the key bytes.
    throw bad(`x509_svid_key: ${(err as Error).message}`);
  }

  const svid: X509Svid = {
    id,
    certificates,
    certChainPem: certificates.map((c) => c.toString()).join(''),
    privateKeyPem,
    expiresAt: certificateFields(leaf).notAfter,
    hint: first.hint,
  };

  const federated = new Map<string, X509Bundle>();
  const skipped: X509Context['skipped'] = [];
  for (const [key, der] of Object.entries(response.federated_bundles)) {
    try {
      const td = TrustDomain.parse(key);
      if (td.equals(id.trustDomain)) throw new Error("is the SVID's own trust domain");
      const certs = splitDerCertificates(der);
      if (certs.length === 0) throw new Error('has no authorities');
      federated.set(td.name, createX509Bundle(td, certs));
    } catch (err) {
      skipped.push({ trustDomain: key, reason: (err as Error).message });
    }
  }
  return { svid, bundle, federated, skipped };
}
