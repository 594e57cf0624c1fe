// Original file: protos/stats/verification/v1/verification.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { VerifyRequest as _stats_verification_v1_VerifyRequest, VerifyRequest__Output as _stats_verification_v1_VerifyRequest__Output } from '../../../stats/verification/v1/VerifyRequest.js';
import type { VerifyResponse as _stats_verification_v1_VerifyResponse, VerifyResponse__Output as _stats_verification_v1_VerifyResponse__Output } from '../../../stats/verification/v1/VerifyResponse.js';

export interface VerificationServiceClient extends grpc.Client {
  /**
   * Verifies a batch of candidates; each source page is fetched once per batch.
   * Callers: the orchestration agent only (spiffe://<trust-domain>/ns/stats-agent/sa/orchestration).
   */
  Verify(argument: _stats_verification_v1_VerifyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_stats_verification_v1_VerifyResponse__Output>): grpc.ClientUnaryCall;
  Verify(argument: _stats_verification_v1_VerifyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_stats_verification_v1_VerifyResponse__Output>): grpc.ClientUnaryCall;
  Verify(argument: _stats_verification_v1_VerifyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_stats_verification_v1_VerifyResponse__Output>): grpc.ClientUnaryCall;
  Verify(argument: _stats_verification_v1_VerifyRequest, callback: grpc.requestCallback<_stats_verification_v1_VerifyResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Verifies a batch of candidates; each source page is fetched once per batch.
   * Callers: the orchestration agent only (spiffe://<trust-domain>/ns/stats-agent/sa/orchestration).
   */
  verify(argument: _stats_verification_v1_VerifyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_stats_verification_v1_VerifyResponse__Output>): grpc.ClientUnaryCall;
  verify(argument: _stats_verification_v1_VerifyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_stats_verification_v1_VerifyResponse__Output>): grpc.ClientUnaryCall;
  verify(argument: _stats_verification_v1_VerifyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_stats_verification_v1_VerifyResponse__Output>): grpc.ClientUnaryCall;
  verify(argument: _stats_verification_v1_VerifyRequest, callback: grpc.requestCallback<_stats_verification_v1_VerifyResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface VerificationServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Verifies a batch of candidates; each source page is fetched once per batch.
   * Callers: the orchestration agent only (spiffe://<trust-domain>/ns/stats-agent/sa/orchestration).
   */
  Verify: grpc.handleUnaryCall<_stats_verification_v1_VerifyRequest__Output, _stats_verification_v1_VerifyResponse>;
  
}

export interface VerificationServiceDefinition extends grpc.ServiceDefinition {
  Verify: MethodDefinition<_stats_verification_v1_VerifyRequest, _stats_verification_v1_VerifyResponse, _stats_verification_v1_VerifyRequest__Output, _stats_verification_v1_VerifyResponse__Output>
}
