import type { X509Certificate } from 'node:crypto';
import { certificateFields, spiffeIdFromCertificate } from './certificate.js';
import { SpiffeError } from './errors.js';
import type { SpiffeId, TrustDomain } from './id.js';

/** An X509-SVID with its private key, as delivered by the Workload API. Never log it whole. */
export interface X509Svid {
  id: SpiffeId;
  /** Leaf first, then intermediates (not the trust domain's root). */
  certificates: X509Certificate[];
  certChainPem: string;
  privateKeyPem: string;
  /** notAfter of the leaf. */
  expiresAt: Date;
  /** Operator hint telling SVIDs apart when several are issued ("" when none). */
  hint: string;
}

/** The X.509 authorities (CA certificates) of one trust domain. */
export interface X509Bundle {
  trustDomain: TrustDomain;
  authorities: X509Certificate[];
  /** The authorities as concatenated PEM: what TLS wants as `ca`. */
  pem: string;
}

/** Builds an X509Bundle from its certificates. */
export function createX509Bundle(trustDomain: TrustDomain, authorities: X509Certificate[]): X509Bundle {
  return { trustDomain, authorities, pem: authorities.map((c) => c.toString()).join('') };
}

function invalid(reason: string): SpiffeError {
  return new SpiffeError('SPIFFE_ERR_SVID_INVALID', `invalid X509-SVID: ${reason}`);
}

function label(i: number): string {
  return i === 0 ? 'leaf certificate' : `intermediate certificate #${i}`;
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/**
 * Validates an X509-SVID chain (leaf first) against the bundle of its trust domain, by the SPIFFE
 * X509-SVID standard, and returns its SPIFFE ID. Checks that the leaf has exactly one URI SAN
 * holding a valid SPIFFE ID of the bundle's trust domain; that the leaf is not a CA, has the
 * digitalSignature key usage and neither keyCertSign nor cRLSign; that intermediates are CAs;
 * that every certificate is valid at `now`; that each certificate is signed by the next and the
 * last by an authority of the bundle. Throws SpiffeError SPIFFE_ERR_SVID_INVALID naming the rule
 * broken (or SPIFFE_ERR_INVALID_CERTIFICATE when a certificate cannot be read).
 */
export function validateX509Svid(chain: X509Certificate[], bundle: X509Bundle, now: Date = new Date()): SpiffeId {
  const leaf = chain[0];
  if (!leaf) throw invalid('empty certificate chain');
  if (bundle.authorities.length === 0) {
    throw invalid(`bundle of trust domain ${bundle.trustDomain.name} has no authorities`);
  }
  let id: SpiffeId;
  try {
    id = spiffeIdFromCertificate(leaf);
  } catch (err) {
    if (err instanceof SpiffeError && err.code === 'SPIFFE_ERR_SVID_INVALID') {
      throw new SpiffeError('SPIFFE_ERR_SVID_INVALID', err.message.replace(/^spiffe: certificate/, 'spiffe: invalid X509-SVID: leaf certificate'), { cause: err });
    }
    throw err;
  }
  if (!id.memberOf(bundle.trustDomain)) {
    throw invalid(
      `SPIFFE ID ${id.toString()} is not in trust domain ${bundle.trustDomain.name} of the bundle it was checked against`,
    );
  }
  const leafFields = certificateFields(leaf);
  if (leafFields.isCa) throw invalid('leaf certificate is a CA (basicConstraints cA is true)');
  const ku = leafFields.keyUsage;
  if (!ku) throw invalid('leaf certificate has no key usage extension (digitalSignature is required)');
  if (!ku.digitalSignature) throw invalid('leaf certificate key usage lacks digitalSignature');
  if (ku.keyCertSign) throw invalid('leaf certificate key usage includes keyCertSign');
  if (ku.cRLSign) throw invalid('leaf certificate key usage includes cRLSign');

  chain.forEach((cert, i) => {
    const fields = i === 0 ? leafFields : certificateFields(cert);
    if (i > 0 && !fields.isCa) throw invalid(`${label(i)} is not a CA`);
    if (now < fields.notBefore) {
      throw invalid(`${label(i)} (serial ${cert.serialNumber}) is not valid before ${fields.notBefore.toISOString()}`);
    }
    if (now > fields.notAfter) {
      throw invalid(`${label(i)} (serial ${cert.serialNumber}) expired at ${fields.notAfter.toISOString()}`);
    }
  });
  chain.forEach((cert, i) => {
    const issuer = chain[i + 1];
    if (issuer && !signedBy(cert, issuer)) {
      throw invalid(`${label(i)} is not signed by the next certificate of the chain`);
    }
  });

  const last = chain[chain.length - 1] as X509Certificate;
  const authority = bundle.authorities.find((a) => a.raw.equals(last.raw) || signedBy(last, a));
  if (!authority) {
    throw invalid(
      `chain does not verify up to an authority of the bundle of trust domain ${bundle.trustDomain.name} (signed by an unknown CA: ${last.issuer.replace(/\n/g, ', ')})`,
    );
  }
  const authorityFields = certificateFields(authority);
  if (now < authorityFields.notBefore || now > authorityFields.notAfter) {
    throw invalid(`the bundle authority that signed the chain is not valid at ${now.toISOString()}`);
  }
  return id;
}
