import type { MethodPolicy } from '@stats-agent/rpc';
import { authorizeId, authorizeMemberOf } from '@stats-agent/spiffe';

/** Who may call what: Extract only the orchestrator; health any workload of the trust domain. */
export function synthesisPolicy(orchestratorId: string, trustDomain: string): MethodPolicy {
  return {
    '/stats.synthesis.v1.SynthesisService/Extract': authorizeId(orchestratorId),
    '/grpc.health.v1.Health/Check': authorizeMemberOf(trustDomain),
    '/grpc.health.v1.Health/Watch': authorizeMemberOf(trustDomain),
  };
}
