// Original file: protos/stats/research/v1/research.proto

import type { Source as _stats_common_v1_Source, Source__Output as _stats_common_v1_Source__Output } from '../../../stats/common/v1/Source.js';

export interface SearchResponse {
  /**
   * Sources in rank order; `position` continues from `offset`.
   */
  'sources'?: (_stats_common_v1_Source)[];
  /**
   * Total number of matching documents known to the provider, when it says.
   */
  'total'?: (number);
  /**
   * Name of the search provider that answered ("local", "serper", ...).
   */
  'provider'?: (string);
}

export interface SearchResponse__Output {
  /**
   * Sources in rank order; `position` continues from `offset`.
   */
  'sources': (_stats_common_v1_Source__Output)[];
  /**
   * Total number of matching documents known to the provider, when it says.
   */
  'total': (number);
  /**
   * Name of the search provider that answered ("local", "serper", ...).
   */
  'provider': (string);
}
