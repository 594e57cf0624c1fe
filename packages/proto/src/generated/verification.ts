import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CandidateStatistic as _stats_common_v1_CandidateStatistic, CandidateStatistic__Output as _stats_common_v1_CandidateStatistic__Output } from './stats/common/v1/CandidateStatistic.js';
import type { Source as _stats_common_v1_Source, Source__Output as _stats_common_v1_Source__Output } from './stats/common/v1/Source.js';
import type { VerificationResult as _stats_verification_v1_VerificationResult, VerificationResult__Output as _stats_verification_v1_VerificationResult__Output } from './stats/verification/v1/VerificationResult.js';
import type { VerificationServiceClient as _stats_verification_v1_VerificationServiceClient, VerificationServiceDefinition as _stats_verification_v1_VerificationServiceDefinition } from './stats/verification/v1/VerificationService.js';
import type { VerifyRequest as _stats_verification_v1_VerifyRequest, VerifyRequest__Output as _stats_verification_v1_VerifyRequest__Output } from './stats/verification/v1/VerifyRequest.js';
import type { VerifyResponse as _stats_verification_v1_VerifyResponse, VerifyResponse__Output as _stats_verification_v1_VerifyResponse__Output } from './stats/verification/v1/VerifyResponse.js';

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
    verification: {
      v1: {
        VerificationResult: MessageTypeDefinition<_stats_verification_v1_VerificationResult, _stats_verification_v1_VerificationResult__Output>
        VerificationService: SubtypeConstructor<typeof grpc.Client, _stats_verification_v1_VerificationServiceClient> & { service: _stats_verification_v1_VerificationServiceDefinition }
        VerifyRequest: MessageTypeDefinition<_stats_verification_v1_VerifyRequest, _stats_verification_v1_VerifyRequest__Output>
        VerifyResponse: MessageTypeDefinition<_stats_verification_v1_VerifyResponse, _stats_verification_v1_VerifyResponse__Output>
      }
    }
  }
}

