// Original file: protos/stats/verification/v1/verification.proto

import type { CandidateStatistic as _stats_common_v1_CandidateStatistic, CandidateStatistic__Output as _stats_common_v1_CandidateStatistic__Output } from '../../../stats/common/v1/CandidateStatistic.js';

export interface VerifyRequest {
  /**
   * Required. 1..200 candidates.
   */
  'candidates'?: (_stats_common_v1_CandidateStatistic)[];
}

export interface VerifyRequest__Output {
  /**
   * Required. 1..200 candidates.
   */
  'candidates': (_stats_common_v1_CandidateStatistic__Output)[];
}
