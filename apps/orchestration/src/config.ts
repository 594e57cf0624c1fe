import { baseServiceSchema, envInt, envPort, hostPort, parseConfig, serviceSpiffeId, spiffeIdString } from '@stats-agent/runtime';
import { z } from 'zod';

const schema = baseServiceSchema('orchestration').extend({
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: envPort(8000),
  RESEARCH_ADDR: hostPort('127.0.0.1:8001'),
  VERIFICATION_ADDR: hostPort('127.0.0.1:8002'),
  SYNTHESIS_ADDR: hostPort('127.0.0.1:8004'),
  /** Expected SPIFFE IDs of the agents; default to the standard IDs in SPIFFE_TRUST_DOMAIN. */
  RESEARCH_SPIFFE_ID: spiffeIdString().optional(),
  SYNTHESIS_SPIFFE_ID: spiffeIdString().optional(),
  VERIFICATION_SPIFFE_ID: spiffeIdString().optional(),
  RESEARCH_TIMEOUT_MS: envInt(10_000, 100, 300_000),
  SYNTHESIS_TIMEOUT_MS: envInt(60_000, 100, 600_000),
  VERIFICATION_TIMEOUT_MS: envInt(60_000, 100, 600_000),
  REQUEST_TIMEOUT_MS: envInt(120_000, 1000, 900_000),
  MAX_ROUNDS: envInt(3, 1, 20),
  /** Most time one round (search, extract, verify) may take; 0: only REQUEST_TIMEOUT_MS bounds it. */
  ROUND_TIMEOUT_MS: envInt(60_000, 0, 900_000),
  /** Asynchronous runs executing at once (POST /v1/runs answers 503 beyond), kept in memory, and kept after finishing for. */
  RUNS_MAX_ACTIVE: envInt(8, 1, 1000),
  RUNS_MAX_KEPT: envInt(1000, 1, 100_000),
  RUN_TTL_MS: envInt(3_600_000, 1000, 30 * 86_400_000),
  SOURCES_PER_ROUND: envInt(8, 1, 50),
  HTTP_BODY_LIMIT_BYTES: envInt(65_536, 1024, 10 * 1024 * 1024),
  /** Concurrent orchestrations; more get 503 at once rather than queueing without bound. */
  MAX_CONCURRENT_REQUESTS: envInt(16, 1, 1000),
});

export type OrchestrationConfig = z.output<typeof schema> & {
  researchId: string;
  synthesisId: string;
  verificationId: string;
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<OrchestrationConfig> {
  const c = parseConfig('orchestration', schema, env);
  return Object.freeze({
    ...c,
    researchId: c.RESEARCH_SPIFFE_ID ?? serviceSpiffeId('research', c.SPIFFE_TRUST_DOMAIN),
    synthesisId: c.SYNTHESIS_SPIFFE_ID ?? serviceSpiffeId('synthesis', c.SPIFFE_TRUST_DOMAIN),
    verificationId: c.VERIFICATION_SPIFFE_ID ?? serviceSpiffeId('verification', c.SPIFFE_TRUST_DOMAIN),
  });
}
