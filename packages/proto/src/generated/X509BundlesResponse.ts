// Original file: protos/spiffe/workload/workload.proto


export interface X509BundlesResponse {
  /**
   * x509 certificates, keyed by trust domain URI
   */
  'bundles'?: ({[key: string]: Buffer | Uint8Array | string});
}

export interface X509BundlesResponse__Output {
  /**
   * x509 certificates, keyed by trust domain URI
   */
  'bundles': ({[key: string]: Buffer});
}
