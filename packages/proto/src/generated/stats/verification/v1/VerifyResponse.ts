// Original file: protos/stats/verification/v1/verification.proto

import type { VerificationResult as _stats_verification_v1_VerificationResult, VerificationResult__Output as _stats_verification_v1_VerificationResult__Output } from '../../../stats/verification/v1/VerificationResult.js';

export interface VerifyResponse {
  /**
   * One result per candidate, in request order.
   */
  'results'?: (_stats_verification_v1_VerificationResult)[];
}

export interface VerifyResponse__Output {
  /**
   * One result per candidate, in request order.
   */
  'results': (_stats_verification_v1_VerificationResult__Output)[];
}
