import type { MethodPolicy } from '@stats-agent/rpc';
import { authorizeId, authorizeMemberOf } from '@stats-agent/spiffe';

/** Who may call what: Verify only the orchestrator; health any workload of the trust domain. */
export function verificationPolicy(orchestratorId: string, trustDomain: string): MethodPolicy {
  return {
    '/stats.verification.v1.VerificationService/Verify': authorizeId(orchestratorId),
    '/grpc.health.v1.Health/Check': authorizeMemberOf(trustDomain),
    '/grpc.health.v1.Health/Watch': authorizeMemberOf(trustDomain),
  };
}
