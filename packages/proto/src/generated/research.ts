import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CandidateStatistic as _stats_common_v1_CandidateStatistic, CandidateStatistic__Output as _stats_common_v1_CandidateStatistic__Output } from './stats/common/v1/CandidateStatistic.js';
import type { Source as _stats_common_v1_Source, Source__Output as _stats_common_v1_Source__Output } from './stats/common/v1/Source.js';
import type { ForgetRequest as _stats_research_v1_ForgetRequest, ForgetRequest__Output as _stats_research_v1_ForgetRequest__Output } from './stats/research/v1/ForgetRequest.js';
import type { ForgetResponse as _stats_research_v1_ForgetResponse, ForgetResponse__Output as _stats_research_v1_ForgetResponse__Output } from './stats/research/v1/ForgetResponse.js';
import type { ResearchServiceClient as _stats_research_v1_ResearchServiceClient, ResearchServiceDefinition as _stats_research_v1_ResearchServiceDefinition } from './stats/research/v1/ResearchService.js';
import type { SearchRequest as _stats_research_v1_SearchRequest, SearchRequest__Output as _stats_research_v1_SearchRequest__Output } from './stats/research/v1/SearchRequest.js';
import type { SearchResponse as _stats_research_v1_SearchResponse, SearchResponse__Output as _stats_research_v1_SearchResponse__Output } from './stats/research/v1/SearchResponse.js';

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
    research: {
      v1: {
        ForgetRequest: MessageTypeDefinition<_stats_research_v1_ForgetRequest, _stats_research_v1_ForgetRequest__Output>
        ForgetResponse: MessageTypeDefinition<_stats_research_v1_ForgetResponse, _stats_research_v1_ForgetResponse__Output>
        ResearchService: SubtypeConstructor<typeof grpc.Client, _stats_research_v1_ResearchServiceClient> & { service: _stats_research_v1_ResearchServiceDefinition }
        SearchRequest: MessageTypeDefinition<_stats_research_v1_SearchRequest, _stats_research_v1_SearchRequest__Output>
        SearchResponse: MessageTypeDefinition<_stats_research_v1_SearchResponse, _stats_research_v1_SearchResponse__Output>
      }
    }
  }
}

