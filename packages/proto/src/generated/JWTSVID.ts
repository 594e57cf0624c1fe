// Original file: protos/spiffe/workload/workload.proto


export interface JWTSVID {
  'spiffe_id'?: (string);
  /**
   * Encoded using JWS Compact Serialization
   */
  'svid'?: (string);
}

export interface JWTSVID__Output {
  'spiffe_id': (string);
  /**
   * Encoded using JWS Compact Serialization
   */
  'svid': (string);
}
