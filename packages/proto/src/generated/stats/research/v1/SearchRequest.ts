// Original file: protos/stats/research/v1/research.proto


export interface SearchRequest {
  /**
   * Required. The topic, 1..500 characters.
   */
  'topic'?: (string);
  /**
   * Optional. Maximum number of sources to return, 1..50; 0 means the server default (10).
   */
  'limit'?: (number);
  /**
   * Optional. Number of ranked results to skip, for the next page of sources. Default 0.
   */
  'offset'?: (number);
  /**
   * Optional. Return only sources from reputable publishers. Default false.
   */
  'reputable_only'?: (boolean);
}

export interface SearchRequest__Output {
  /**
   * Required. The topic, 1..500 characters.
   */
  'topic': (string);
  /**
   * Optional. Maximum number of sources to return, 1..50; 0 means the server default (10).
   */
  'limit': (number);
  /**
   * Optional. Number of ranked results to skip, for the next page of sources. Default 0.
   */
  'offset': (number);
  /**
   * Optional. Return only sources from reputable publishers. Default false.
   */
  'reputable_only': (boolean);
}
