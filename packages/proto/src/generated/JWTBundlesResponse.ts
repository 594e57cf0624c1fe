// Original file: protos/spiffe/workload/workload.proto


export interface JWTBundlesResponse {
  /**
   * JWK sets, keyed by trust domain URI
   */
  'bundles'?: ({[key: string]: Buffer | Uint8Array | string});
}

export interface JWTBundlesResponse__Output {
  /**
   * JWK sets, keyed by trust domain URI
   */
  'bundles': ({[key: string]: Buffer});
}
