// Original file: protos/spiffe/workload/workload.proto

import type { X509SVID as _X509SVID, X509SVID__Output as _X509SVID__Output } from './X509SVID.js';

/**
 * The X509SVIDResponse message carries a set of X.509 SVIDs and their
 * associated information. It also carries a set of global CRLs, and a
 * TTL to inform the workload when it should check back next.
 */
export interface X509SVIDResponse {
  /**
   * A list of X509SVID messages, each of which includes a single
   * SPIFFE Verifiable Identity Document, along with its private key
   * and bundle.
   */
  'svids'?: (_X509SVID)[];
  /**
   * ASN.1 DER encoded
   */
  'crl'?: (Buffer | Uint8Array | string)[];
  /**
   * CA certificate bundles belonging to foreign Trust Domains that the
   * workload should trust, keyed by the SPIFFE ID of the foreign
   * domain. Bundles are ASN.1 DER encoded.
   */
  'federated_bundles'?: ({[key: string]: Buffer | Uint8Array | string});
}

/**
 * The X509SVIDResponse message carries a set of X.509 SVIDs and their
 * associated information. It also carries a set of global CRLs, and a
 * TTL to inform the workload when it should check back next.
 */
export interface X509SVIDResponse__Output {
  /**
   * A list of X509SVID messages, each of which includes a single
   * SPIFFE Verifiable Identity Document, along with its private key
   * and bundle.
   */
  'svids': (_X509SVID__Output)[];
  /**
   * ASN.1 DER encoded
   */
  'crl': (Buffer)[];
  /**
   * CA certificate bundles belonging to foreign Trust Domains that the
   * workload should trust, keyed by the SPIFFE ID of the foreign
   * domain. Bundles are ASN.1 DER encoded.
   */
  'federated_bundles': ({[key: string]: Buffer});
}
