import type { Server } from '@grpc/grpc-js';
import type { Logger } from '@stats-agent/logging';
import { startAdminServer, type AdminServer, type ServiceMetrics } from '@stats-agent/metrics';
import { loadProtos } from '@stats-agent/proto';
import { createX509Source, type X509Source } from '@stats-agent/spiffe';
import type { DeniedCall, MethodPolicy } from './authz.js';
import { HealthService } from './health.js';
import { bindMtls, createAgentServer, drainServer } from './server.js';

export interface AgentConfig {
  GRPC_HOST: string;
  GRPC_PORT: number;
  ADMIN_HOST: string;
  ADMIN_PORT: number;
  SPIFFE_ENDPOINT_SOCKET: string;
  SHUTDOWN_GRACE_MS: number;
  GRPC_MAX_CONNECTION_AGE_MS: number;
  GRPC_MAX_CONNECTION_AGE_GRACE_MS: number;
}

export interface StartAgentOptions {
  /** Fully qualified gRPC service names served (for health), e.g. `stats.research.v1.ResearchService`. */
  services: string[];
  config: AgentConfig;
  logger: Logger;
  metrics: ServiceMetrics;
  policy: MethodPolicy;
  /** Adds the service implementations; runs once the SVID is loaded. */
  register(server: Server, source: X509Source): void;
  /** Extra readiness checks beyond "SVID loaded and serving". */
  readiness?: () => Promise<Record<string, { ok: boolean; detail?: string }>>;
  /** Runs last at shutdown (close fetchers, caches). */
  onStop?: () => Promise<void>;
  /** Told of every call the SPIFFE authorization refuses, after it is logged (e.g. to audit `mtls.denied`); must not block. */
  onDenied?: (call: DeniedCall) => void;
}

export interface RunningAgent {
  source: X509Source;
  grpcPort: number;
  admin: AdminServer;
  health: HealthService;
  /** Drain: readiness off, health NOT_SERVING, finish running calls, close the SVID stream. */
  stop(): Promise<void>;
}

/** Logs and counts every SVID rotation of `source`; returns the unsubscribe function. */
export function observeSvid(source: X509Source, deps: { logger: Logger; metrics: ServiceMetrics }): () => void {
  return source.onUpdate((svid) => {
    deps.metrics.svidRotations.inc();
    deps.metrics.svidTtlAtRotation.observe((svid.expiresAt.getTime() - Date.now()) / 1000);
    deps.logger.info({ spiffe_id: svid.id.toString(), expires_at: svid.expiresAt.toISOString() }, 'X509-SVID rotated');
  });
}

/**
 * Starts one gRPC agent: admin port first (so /healthz answers while the SVID is awaited),
 * then the X509Source from the Workload API, then the mTLS server. Rejects — with the
 * SpiffeError that says what to start — when no SVID can be had.
 */
export async function startAgent(opts: StartAgentOptions): Promise<RunningAgent> {
  const { config, logger, metrics } = opts;
  let source: X509Source | undefined;
  let serving = false;
  const admin = await startAdminServer({
    host: config.ADMIN_HOST,
    port: config.ADMIN_PORT,
    registry: metrics.registry,
    readiness: async () => {
      const checks: Record<string, { ok: boolean; detail?: string }> = {};
      try {
        const svid = source?.getX509Svid();
        checks['svid'] = svid ? { ok: svid.expiresAt.getTime() > Date.now(), detail: svid.id.toString() } : { ok: false, detail: 'not loaded' };
      } catch (err) {
        checks['svid'] = { ok: false, detail: err instanceof Error ? err.message : 'unavailable' };
      }
      checks['grpc'] = { ok: serving };
      if (opts.readiness) Object.assign(checks, await opts.readiness());
      return { ready: Object.values(checks).every((c) => c.ok), checks };
    },
  });
  logger.info({ admin: admin.url }, 'admin server listening');
  try {
    source = await createX509Source({ socketPath: config.SPIFFE_ENDPOINT_SOCKET, logger });
  } catch (err) {
    await admin.close();
    throw err;
  }
  const first = source.getX509Svid();
  logger.info({ spiffe_id: first.id.toString(), expires_at: first.expiresAt.toISOString() }, 'X509-SVID loaded');
  observeSvid(source, { logger, metrics });

  const server = createAgentServer({
    logger,
    metrics,
    policy: opts.policy,
    onDenied: opts.onDenied,
    maxConnectionAgeMs: config.GRPC_MAX_CONNECTION_AGE_MS,
    maxConnectionAgeGraceMs: config.GRPC_MAX_CONNECTION_AGE_GRACE_MS,
  });
  const health = new HealthService(opts.services);
  server.addService(loadProtos().health.Health.service, health.handlers());
  opts.register(server, source);
  const grpcPort = await bindMtls(server, config.GRPC_HOST, config.GRPC_PORT, source);
  serving = true;
  logger.info({ host: config.GRPC_HOST, port: grpcPort, tls: 'mtls', spiffe_id: first.id.toString() }, 'gRPC server listening');

  let stopping: Promise<void> | undefined;
  const running = source;
  return {
    source: running,
    grpcPort,
    admin,
    health,
    stop: () =>
      (stopping ??= (async () => {
        admin.setDraining();
        health.shutdown();
        serving = false;
        await drainServer(server, config.SHUTDOWN_GRACE_MS);
        await opts.onStop?.();
        await running.close();
        await admin.close();
      })()),
  };
}
