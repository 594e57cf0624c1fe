// Original file: protos/spiffe/workload/workload.proto


export interface JWTSVIDRequest {
  'audience'?: (string)[];
  /**
   * SPIFFE ID of the JWT being requested
   * If not set, all IDs will be returned
   */
  'spiffe_id'?: (string);
}

export interface JWTSVIDRequest__Output {
  'audience': (string)[];
  /**
   * SPIFFE ID of the JWT being requested
   * If not set, all IDs will be returned
   */
  'spiffe_id': (string);
}
