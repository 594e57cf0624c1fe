import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CandidateStatistic as _stats_common_v1_CandidateStatistic, CandidateStatistic__Output as _stats_common_v1_CandidateStatistic__Output } from './stats/common/v1/CandidateStatistic.js';
import type { Source as _stats_common_v1_Source, Source__Output as _stats_common_v1_Source__Output } from './stats/common/v1/Source.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  stats: {
    common: {
      v1: {
        CandidateStatistic: MessageTypeDefinition<_stats_common_v1_CandidateStatistic, _stats_common_v1_CandidateStatistic__Output>
        Source: MessageTypeDefinition<_stats_common_v1_Source, _stats_common_v1_Source__Output>
      }
    }
  }
}

