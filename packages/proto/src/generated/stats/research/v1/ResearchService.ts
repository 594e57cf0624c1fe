// Original file: protos/stats/research/v1/research.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ForgetRequest as _stats_research_v1_ForgetRequest, ForgetRequest__Output as _stats_research_v1_ForgetRequest__Output } from '../../../stats/research/v1/ForgetRequest.js';
import type { ForgetResponse as _stats_research_v1_ForgetResponse, ForgetResponse__Output as _stats_research_v1_ForgetResponse__Output } from '../../../stats/research/v1/ForgetResponse.js';
import type { SearchRequest as _stats_research_v1_SearchRequest, SearchRequest__Output as _stats_research_v1_SearchRequest__Output } from '../../../stats/research/v1/SearchRequest.js';
import type { SearchResponse as _stats_research_v1_SearchResponse, SearchResponse__Output as _stats_research_v1_SearchResponse__Output } from '../../../stats/research/v1/SearchResponse.js';

export interface ResearchServiceClient extends grpc.Client {
  /**
   * Drops every cached search result of the given topics (all pages, flags and providers this
   * agent holds), so a data subject's erasure leaves nothing of their searches in the cache.
   * Idempotent: forgetting a topic that is not cached is not an error.
   * Callers: the orchestration agent only (spiffe://<trust-domain>/ns/stats-agent/sa/orchestration).
   */
  Forget(argument: _stats_research_v1_ForgetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_stats_research_v1_ForgetResponse__Output>): grpc.ClientUnaryCall;
  Forget(argument: _stats_research_v1_ForgetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_stats_research_v1_ForgetResponse__Output>): grpc.ClientUnaryCall;
  Forget(argument: _stats_research_v1_ForgetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_stats_research_v1_ForgetResponse__Output>): grpc.ClientUnaryCall;
  Forget(argument: _stats_research_v1_ForgetRequest, callback: grpc.requestCallback<_stats_research_v1_ForgetResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Drops every cached search result of the given topics (all pages, flags and providers this
   * agent holds), so a data subject's erasure leaves nothing of their searches in the cache.
   * Idempotent: forgetting a topic that is not cached is not an error.
   * Callers: the orchestration agent only (spiffe://<trust-domain>/ns/stats-agent/sa/orchestration).
   */
  forget(argument: _stats_research_v1_ForgetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_stats_research_v1_ForgetResponse__Output>): grpc.ClientUnaryCall;
  forget(argument: _stats_research_v1_ForgetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_stats_research_v1_ForgetResponse__Output>): grpc.ClientUnaryCall;
  forget(argument: _stats_research_v1_ForgetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_stats_research_v1_ForgetResponse__Output>): grpc.ClientUnaryCall;
  forget(argument: _stats_research_v1_ForgetRequest, callback: grpc.requestCallback<_stats_research_v1_ForgetResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Finds documents about a topic, best first.
   * Callers: the orchestration agent only (spiffe://<trust-domain>/ns/stats-agent/sa/orchestration).
   */
  Search(argument: _stats_research_v1_SearchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_stats_research_v1_SearchResponse__Output>): grpc.ClientUnaryCall;
  Search(argument: _stats_research_v1_SearchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_stats_research_v1_SearchResponse__Output>): grpc.ClientUnaryCall;
  Search(argument: _stats_research_v1_SearchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_stats_research_v1_SearchResponse__Output>): grpc.ClientUnaryCall;
  Search(argument: _stats_research_v1_SearchRequest, callback: grpc.requestCallback<_stats_research_v1_SearchResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Finds documents about a topic, best first.
   * Callers: the orchestration agent only (spiffe://<trust-domain>/ns/stats-agent/sa/orchestration).
   */
  search(argument: _stats_research_v1_SearchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_stats_research_v1_SearchResponse__Output>): grpc.ClientUnaryCall;
  search(argument: _stats_research_v1_SearchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_stats_research_v1_SearchResponse__Output>): grpc.ClientUnaryCall;
  search(argument: _stats_research_v1_SearchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_stats_research_v1_SearchResponse__Output>): grpc.ClientUnaryCall;
  search(argument: _stats_research_v1_SearchRequest, callback: grpc.requestCallback<_stats_research_v1_SearchResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ResearchServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Drops every cached search result of the given topics (all pages, flags and providers this
   * agent holds), so a data subject's erasure leaves nothing of their searches in the cache.
   * Idempotent: forgetting a topic that is not cached is not an error.
   * Callers: the orchestration agent only (spiffe://<trust-domain>/ns/stats-agent/sa/orchestration).
   */
  Forget: grpc.handleUnaryCall<_stats_research_v1_ForgetRequest__Output, _stats_research_v1_ForgetResponse>;
  
  /**
   * Finds documents about a topic, best first.
   * Callers: the orchestration agent only (spiffe://<trust-domain>/ns/stats-agent/sa/orchestration).
   */
  Search: grpc.handleUnaryCall<_stats_research_v1_SearchRequest__Output, _stats_research_v1_SearchResponse>;
  
}

export interface ResearchServiceDefinition extends grpc.ServiceDefinition {
  Forget: MethodDefinition<_stats_research_v1_ForgetRequest, _stats_research_v1_ForgetResponse, _stats_research_v1_ForgetRequest__Output, _stats_research_v1_ForgetResponse__Output>
  Search: MethodDefinition<_stats_research_v1_SearchRequest, _stats_research_v1_SearchResponse, _stats_research_v1_SearchRequest__Output, _stats_research_v1_SearchResponse__Output>
}
