import type { Client } from '@grpc/grpc-js';
import type { ServiceMetrics } from '@stats-agent/metrics';
import {
  loadProtos,
  type ForgetRequest,
  type ForgetResponse__Output,
  type ResearchServiceClient,
  type SynthesisServiceClient,
  type VerificationServiceClient,
} from '@stats-agent/proto';
import { callUnary, createAgentClient, isServing, type CallSettings } from '@stats-agent/rpc';
import { authorizeId, type X509Source } from '@stats-agent/spiffe';
import type { AgentName } from './errors.js';
import type { Agents } from './workflow.js';

export interface AgentTargets {
  research: { addr: string; id: string };
  synthesis: { addr: string; id: string };
  verification: { addr: string; id: string };
}

export interface AgentClients extends Agents {
  /** Research's Forget: drops the cached search results of topics (a data subject's erasure). */
  forget(req: ForgetRequest, s: CallSettings): Promise<ForgetResponse__Output>;
  /** Health of each agent over the same mTLS channel, SERVING within `timeoutMs`. */
  health(timeoutMs: number, requestId: string): Promise<Record<AgentName, { ok: boolean; detail?: string }>>;
  close(): void;
}

/**
 * One long-lived mTLS channel per agent, each checking that the server is the SPIFFE ID it
 * must be. Health checks go over the same channels.
 */
export function createAgentClients(source: X509Source, targets: AgentTargets, metrics?: ServiceMetrics): AgentClients {
  const p = loadProtos();
  const opts = (t: { addr: string; id: string }) => ({ target: t.addr, source, authorizer: authorizeId(t.id), ...(metrics ? { metrics } : {}) });
  const research = createAgentClient(p.research.ResearchService, opts(targets.research)) as ResearchServiceClient;
  const synthesis = createAgentClient(p.synthesis.SynthesisService, opts(targets.synthesis)) as SynthesisServiceClient;
  const verification = createAgentClient(p.verification.VerificationService, opts(targets.verification)) as VerificationServiceClient;
  const byName: Record<AgentName, Client> = { research, synthesis, verification };

  return {
    search: (req, s) => callUnary(research.Search, research, req, s),
    forget: (req, s) => callUnary(research.Forget, research, req, s),
    extract: (req, s) => callUnary(synthesis.Extract, synthesis, req, s),
    verify: (req, s) => callUnary(verification.Verify, verification, req, s),
    async health(timeoutMs, requestId) {
      const names: AgentName[] = ['research', 'synthesis', 'verification'];
      const results = await Promise.all(
        names.map((n) =>
          isServing(byName[n], { timeoutMs, requestId }).then(
            (ok) => ({ ok, ...(ok ? {} : { detail: 'not serving' }) }),
            (err: unknown) => ({ ok: false, detail: err instanceof Error ? err.message.slice(0, 200) : 'unreachable' }),
          ),
        ),
      );
      return { research: results[0]!, synthesis: results[1]!, verification: results[2]! };
    },
    close() {
      for (const c of [research, synthesis, verification]) c.close();
    },
  };
}
