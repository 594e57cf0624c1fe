import { z } from 'zod';
import { envInt, envPort, spiffeIdString } from './config.js';
import { DEFAULT_TRUST_DOMAIN, SERVICES, serviceSpiffeId, type ServiceName } from './services.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Variables every service reads: identity, admin port, logging, shutdown. */
export function baseServiceSchema(service: ServiceName) {
  return z.object({
    SPIFFE_ENDPOINT_SOCKET: z
      .string({ error: 'is not set: start the SPIFFE agent or `stats-agent-spiffe-dev serve`, then set it (unix:///path/agent.sock)' })
      .regex(/^unix:(\/\/)?\/.+/, 'must be unix:///absolute/path'),
    SPIFFE_TRUST_DOMAIN: z.string().regex(/^[a-z0-9._-]+$/, 'must be a trust domain name').default(DEFAULT_TRUST_DOMAIN),
    ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
    ADMIN_PORT: envPort(SERVICES[service].adminPort),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    SHUTDOWN_GRACE_MS: envInt(10_000, 0, 120_000),
  });
}

/** Variables of the three gRPC agents: where they listen and who may call them. */
export function agentSchema(service: Exclude<ServiceName, 'orchestration'>) {
  return baseServiceSchema(service).extend({
    GRPC_HOST: z.string().min(1).default('127.0.0.1'),
    GRPC_PORT: envPort(SERVICES[service].grpcPort),
    /** Defaults to the orchestration ID in SPIFFE_TRUST_DOMAIN. */
    ORCHESTRATOR_SPIFFE_ID: spiffeIdString().optional(),
    /**
     * Connections are closed gracefully after this age, so clients re-handshake (with the
     * current SVIDs) and spread over replicas; in-flight calls get the grace period.
     */
    GRPC_MAX_CONNECTION_AGE_MS: envInt(1_800_000, 1000, 86_400_000),
    GRPC_MAX_CONNECTION_AGE_GRACE_MS: envInt(30_000, 1000, 600_000),
  });
}

/** Page fetching bounds shared by the agents that fetch (synthesis, verification). */
export function fetchSchema() {
  return z.object({
    FETCH_CONCURRENCY: envInt(4, 1, 32),
    FETCH_TIMEOUT_MS: envInt(10_000, 100, 120_000),
    FETCH_MAX_BYTES: envInt(5 * 1024 * 1024, 1024, 50 * 1024 * 1024),
    /**
     * The only non-public hosts fetching may reach: comma list of `host[:port]`, `[ipv6]:port` or
     * CIDR; empty means none. Parsed into a list here; @stats-agent/safe-fetch checks each entry.
     */
    STATS_FETCH_ALLOW: z
      .string()
      .default('')
      .transform((v) => v.split(',').map((e) => e.trim()).filter((e) => e !== ''))
      .refine((list) => list.every((e) => FETCH_ALLOW_ENTRY.test(e)), 'must be a comma list of host[:port], [ipv6]:port or CIDR'),
  });
}

const FETCH_ALLOW_ENTRY = /^(?:\[[0-9A-Fa-f:.]+\](?::\d{1,5})?|[A-Za-z0-9_.-]+(?::\d{1,5})?|[0-9A-Fa-f:.]+\/\d{1,3}|[0-9A-Fa-f:.]+)$/;

export function orchestratorIdOf(cfg: { ORCHESTRATOR_SPIFFE_ID?: string | undefined; SPIFFE_TRUST_DOMAIN: string }): string {
  return cfg.ORCHESTRATOR_SPIFFE_ID ?? serviceSpiffeId('orchestration', cfg.SPIFFE_TRUST_DOMAIN);
}
