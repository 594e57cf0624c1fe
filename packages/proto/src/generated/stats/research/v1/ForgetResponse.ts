// Original file: protos/stats/research/v1/research.proto


export interface ForgetResponse {
  /**
   * Cache entries deleted (0 when none of the topics was cached).
   */
  'forgotten'?: (number);
}

export interface ForgetResponse__Output {
  /**
   * Cache entries deleted (0 when none of the topics was cached).
   */
  'forgotten': (number);
}
