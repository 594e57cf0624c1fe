import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CandidateStatistic as _stats_common_v1_CandidateStatistic, CandidateStatistic__Output as _stats_common_v1_CandidateStatistic__Output } from './stats/common/v1/CandidateStatistic.js';
import type { Source as _stats_common_v1_Source, Source__Output as _stats_common_v1_Source__Output } from './stats/common/v1/Source.js';
import type { ExtractRequest as _stats_synthesis_v1_ExtractRequest, ExtractRequest__Output as _stats_synthesis_v1_ExtractRequest__Output } from './stats/synthesis/v1/ExtractRequest.js';
import type { ExtractResponse as _stats_synthesis_v1_ExtractResponse, ExtractResponse__Output as _stats_synthesis_v1_ExtractResponse__Output } from './stats/synthesis/v1/ExtractResponse.js';
import type { SourceOutcome as _stats_synthesis_v1_SourceOutcome, SourceOutcome__Output as _stats_synthesis_v1_SourceOutcome__Output } from './stats/synthesis/v1/SourceOutcome.js';
import type { SynthesisServiceClient as _stats_synthesis_v1_SynthesisServiceClient, SynthesisServiceDefinition as _stats_synthesis_v1_SynthesisServiceDefinition } from './stats/synthesis/v1/SynthesisService.js';

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
    synthesis: {
      v1: {
        ExtractRequest: MessageTypeDefinition<_stats_synthesis_v1_ExtractRequest, _stats_synthesis_v1_ExtractRequest__Output>
        ExtractResponse: MessageTypeDefinition<_stats_synthesis_v1_ExtractResponse, _stats_synthesis_v1_ExtractResponse__Output>
        SourceOutcome: MessageTypeDefinition<_stats_synthesis_v1_SourceOutcome, _stats_synthesis_v1_SourceOutcome__Output>
        SynthesisService: SubtypeConstructor<typeof grpc.Client, _stats_synthesis_v1_SynthesisServiceClient> & { service: _stats_synthesis_v1_SynthesisServiceDefinition }
      }
    }
  }
}

