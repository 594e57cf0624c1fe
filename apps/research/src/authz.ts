import type { MethodPolicy } from '@stats-agent/rpc';
import { authorizeId, authorizeMemberOf } from '@stats-agent/spiffe';

/** Who may call what: Search and Forget only the orchestrator; health any workload of the trust domain. */
export function researchPolicy(orchestratorId: string, trustDomain: string): MethodPolicy {
  return {
    '/stats.research.v1.ResearchService/Search': authorizeId(orchestratorId),
    '/stats.research.v1.ResearchService/Forget': authorizeId(orchestratorId),
    '/grpc.health.v1.Health/Check': authorizeMemberOf(trustDomain),
    '/grpc.health.v1.Health/Watch': authorizeMemberOf(trustDomain),
  };
}
