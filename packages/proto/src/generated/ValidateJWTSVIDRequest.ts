// Original file: protos/spiffe/workload/workload.proto


export interface ValidateJWTSVIDRequest {
  'audience'?: (string);
  /**
   * Encoded using JWS Compact Serialization
   */
  'svid'?: (string);
}

export interface ValidateJWTSVIDRequest__Output {
  'audience': (string);
  /**
   * Encoded using JWS Compact Serialization
   */
  'svid': (string);
}
