// Original file: protos/stats/synthesis/v1/synthesis.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ExtractRequest as _stats_synthesis_v1_ExtractRequest, ExtractRequest__Output as _stats_synthesis_v1_ExtractRequest__Output } from '../../../stats/synthesis/v1/ExtractRequest.js';
import type { ExtractResponse as _stats_synthesis_v1_ExtractResponse, ExtractResponse__Output as _stats_synthesis_v1_ExtractResponse__Output } from '../../../stats/synthesis/v1/ExtractResponse.js';

export interface SynthesisServiceClient extends grpc.Client {
  /**
   * Fetches every source (concurrently, bounded) and returns the statistics found in them.
   * One call per round carries all of the round's sources.
   * Callers: the orchestration agent only (spiffe://<trust-domain>/ns/stats-agent/sa/orchestration).
   */
  Extract(argument: _stats_synthesis_v1_ExtractRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_stats_synthesis_v1_ExtractResponse__Output>): grpc.ClientUnaryCall;
  Extract(argument: _stats_synthesis_v1_ExtractRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_stats_synthesis_v1_ExtractResponse__Output>): grpc.ClientUnaryCall;
  Extract(argument: _stats_synthesis_v1_ExtractRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_stats_synthesis_v1_ExtractResponse__Output>): grpc.ClientUnaryCall;
  Extract(argument: _stats_synthesis_v1_ExtractRequest, callback: grpc.requestCallback<_stats_synthesis_v1_ExtractResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Fetches every source (concurrently, bounded) and returns the statistics found in them.
   * One call per round carries all of the round's sources.
   * Callers: the orchestration agent only (spiffe://<trust-domain>/ns/stats-agent/sa/orchestration).
   */
  extract(argument: _stats_synthesis_v1_ExtractRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_stats_synthesis_v1_ExtractResponse__Output>): grpc.ClientUnaryCall;
  extract(argument: _stats_synthesis_v1_ExtractRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_stats_synthesis_v1_ExtractResponse__Output>): grpc.ClientUnaryCall;
  extract(argument: _stats_synthesis_v1_ExtractRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_stats_synthesis_v1_ExtractResponse__Output>): grpc.ClientUnaryCall;
  extract(argument: _stats_synthesis_v1_ExtractRequest, callback: grpc.requestCallback<_stats_synthesis_v1_ExtractResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface SynthesisServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Fetches every source (concurrently, bounded) and returns the statistics found in them.
   * One call per round carries all of the round's sources.
   * Callers: the orchestration agent only (spiffe://<trust-domain>/ns/stats-agent/sa/orchestration).
   */
  Extract: grpc.handleUnaryCall<_stats_synthesis_v1_ExtractRequest__Output, _stats_synthesis_v1_ExtractResponse>;
  
}

export interface SynthesisServiceDefinition extends grpc.ServiceDefinition {
  Extract: MethodDefinition<_stats_synthesis_v1_ExtractRequest, _stats_synthesis_v1_ExtractResponse, _stats_synthesis_v1_ExtractRequest__Output, _stats_synthesis_v1_ExtractResponse__Output>
}
