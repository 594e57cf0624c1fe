// Original file: protos/stats/synthesis/v1/synthesis.proto

import type { CandidateStatistic as _stats_common_v1_CandidateStatistic, CandidateStatistic__Output as _stats_common_v1_CandidateStatistic__Output } from '../../../stats/common/v1/CandidateStatistic.js';
import type { SourceOutcome as _stats_synthesis_v1_SourceOutcome, SourceOutcome__Output as _stats_synthesis_v1_SourceOutcome__Output } from '../../../stats/synthesis/v1/SourceOutcome.js';

export interface ExtractResponse {
  /**
   * Candidate statistics, most relevant first.
   */
  'candidates'?: (_stats_common_v1_CandidateStatistic)[];
  /**
   * What happened to each requested source, in request order.
   */
  'sources'?: (_stats_synthesis_v1_SourceOutcome)[];
}

export interface ExtractResponse__Output {
  /**
   * Candidate statistics, most relevant first.
   */
  'candidates': (_stats_common_v1_CandidateStatistic__Output)[];
  /**
   * What happened to each requested source, in request order.
   */
  'sources': (_stats_synthesis_v1_SourceOutcome__Output)[];
}
