// Original file: protos/stats/research/v1/research.proto


export interface ForgetRequest {
  /**
   * Required. The topics to forget, 1..100 entries of 1..500 characters each; compared like
   * Search compares them (case- and space-insensitively).
   */
  'topics'?: (string)[];
}

export interface ForgetRequest__Output {
  /**
   * Required. The topics to forget, 1..100 entries of 1..500 characters each; compared like
   * Search compares them (case- and space-insensitively).
   */
  'topics': (string)[];
}
