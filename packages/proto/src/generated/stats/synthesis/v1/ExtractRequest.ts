// Original file: protos/stats/synthesis/v1/synthesis.proto

import type { Source as _stats_common_v1_Source, Source__Output as _stats_common_v1_Source__Output } from '../../../stats/common/v1/Source.js';

export interface ExtractRequest {
  /**
   * Required. The topic the statistics should be about.
   */
  'topic'?: (string);
  /**
   * Required. 1..50 sources to read.
   */
  'sources'?: (_stats_common_v1_Source)[];
  /**
   * Optional. Maximum number of candidates to return, best first; 0 means no limit.
   */
  'max_candidates'?: (number);
}

export interface ExtractRequest__Output {
  /**
   * Required. The topic the statistics should be about.
   */
  'topic': (string);
  /**
   * Required. 1..50 sources to read.
   */
  'sources': (_stats_common_v1_Source__Output)[];
  /**
   * Optional. Maximum number of candidates to return, best first; 0 means no limit.
   */
  'max_candidates': (number);
}
