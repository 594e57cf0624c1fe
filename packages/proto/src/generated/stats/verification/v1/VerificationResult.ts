// Original file: protos/stats/verification/v1/verification.proto

import type { CandidateStatistic as _stats_common_v1_CandidateStatistic, CandidateStatistic__Output as _stats_common_v1_CandidateStatistic__Output } from '../../../stats/common/v1/CandidateStatistic.js';

export interface VerificationResult {
  /**
   * Required. The candidate as received.
   */
  'candidate'?: (_stats_common_v1_CandidateStatistic | null);
  /**
   * Required. True only when the page was fetched and both excerpt and value were found in it.
   */
  'verified'?: (boolean);
  /**
   * Required. Machine-readable reason: "verified", "source_unreachable", "excerpt_not_found",
   * "value_not_in_excerpt" (the excerpt states no number), "value_mismatch" (none of its numbers
   * equals the value within the printed precision), "unit_mismatch", ...
   */
  'reason'?: (string);
  /**
   * Optional. Human-readable detail of `reason`.
   */
  'message'?: (string);
  /**
   * Optional. Character offsets [start, end) of the excerpt in the page text, when found.
   */
  'excerpt_start'?: (number);
  'excerpt_end'?: (number);
  /**
   * Optional. Lower-case hex SHA-256 of the page text the offsets refer to (UTF-8).
   */
  'text_sha256'?: (string);
  /**
   * Optional. RFC 3339 UTC time the page was fetched.
   */
  'fetched_at'?: (string);
  /**
   * Required. SPIFFE ID of the verification agent that judged it.
   */
  'verifier_id'?: (string);
  '_excerpt_start'?: "excerpt_start";
  '_excerpt_end'?: "excerpt_end";
}

export interface VerificationResult__Output {
  /**
   * Required. The candidate as received.
   */
  'candidate': (_stats_common_v1_CandidateStatistic__Output | null);
  /**
   * Required. True only when the page was fetched and both excerpt and value were found in it.
   */
  'verified': (boolean);
  /**
   * Required. Machine-readable reason: "verified", "source_unreachable", "excerpt_not_found",
   * "value_not_in_excerpt" (the excerpt states no number), "value_mismatch" (none of its numbers
   * equals the value within the printed precision), "unit_mismatch", ...
   */
  'reason': (string);
  /**
   * Optional. Human-readable detail of `reason`.
   */
  'message': (string);
  /**
   * Optional. Character offsets [start, end) of the excerpt in the page text, when found.
   */
  'excerpt_start'?: (number);
  'excerpt_end'?: (number);
  /**
   * Optional. Lower-case hex SHA-256 of the page text the offsets refer to (UTF-8).
   */
  'text_sha256': (string);
  /**
   * Optional. RFC 3339 UTC time the page was fetched.
   */
  'fetched_at': (string);
  /**
   * Required. SPIFFE ID of the verification agent that judged it.
   */
  'verifier_id': (string);
  '_excerpt_start'?: "excerpt_start";
  '_excerpt_end'?: "excerpt_end";
}
