#!/usr/bin/env node
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiKeyRegistry,
  createAuthenticator,
  createOidcVerifier,
  createRateLimiter,
  createRedisClient,
  requireScope,
} from '@stats-agent/auth';
import { createLogger, registerSecretValues, urlPasswords } from '@stats-agent/logging';
import { createMetrics, startAdminServer } from '@stats-agent/metrics';
import { observeSvid } from '@stats-agent/rpc';
import { installShutdown, runMain } from '@stats-agent/runtime';
import { createX509Source } from '@stats-agent/spiffe';
import { Counter, Gauge, Histogram } from 'prom-client';
import { createAgentClients } from './clients.js';
import { loadConfig } from './config.js';
import { createHttpApp } from './http/app.js';
import { createRunsRouter, ownerOf } from './http/runs.js';
import { createAdminRouter } from './http/admin.js';
import { RunService } from './runs.js';
import { runWorkflow } from './workflows.js';
import { randomUUID } from 'node:crypto';
import { AuditLog, auditLogOptions, hashTopic, storeSink, type AuditEvent } from '@stats-agent/audit';
import { openStore, startRetention, storeConfigFromEnv } from '@stats-agent/store';

runMain('orchestration', async () => {
  const config = loadConfig();
  const logger = createLogger({ service: 'orchestration', level: config.LOG_LEVEL });
  // Secrets that come from the config, not @stats-agent/secrets: never in a log line.
  registerSecretValues([...(config.audit.hmacKey ? [config.audit.hmacKey] : []), ...urlPasswords(config.REDIS_URL), ...urlPasswords(config.DATABASE_URL)], 'config');
  const metrics = createMetrics('orchestration');
  const httpDuration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Public HTTP API request duration by route and status.',
    labelNames: ['route', 'status'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [metrics.registry],
  });

  // The edge: credentials and limits are checked before anything else starts (fail fast).
  const apiKeys = config.API_KEYS_FILE
    ? await ApiKeyRegistry.fromFile(config.API_KEYS_FILE, {
        onReload: (count) => logger.info({ keys: count }, 'API keys file changed: reloaded'),
        onReloadError: (err) => logger.error({ err: { message: err.message } }, 'API keys file is invalid: the previous keys stay in force'),
      })
    : undefined;
  const oidc =
    config.OIDC_ISSUER && config.OIDC_AUDIENCE
      ? createOidcVerifier({
          issuer: config.OIDC_ISSUER,
          audience: config.OIDC_AUDIENCE,
          ...(config.OIDC_JWKS_URL ? { jwksUrl: config.OIDC_JWKS_URL } : {}),
          algorithms: config.OIDC_ALGORITHMS,
          clockToleranceSec: config.OIDC_CLOCK_TOLERANCE_S,
          timeoutMs: config.OIDC_TIMEOUT_MS,
          cooldownMs: config.OIDC_JWKS_COOLDOWN_MS,
          allowInsecureLoopback: true,
        })
      : undefined;
  // Warm the JWKS location now so a misconfigured issuer shows in the log at start-up; tokens
  // still retry discovery later (the identity provider may simply be down for a moment).
  oidc?.jwksUrl().then(
    (url) => logger.info({ jwks_url: url.href }, 'OIDC: JWKS location resolved'),
    (err: unknown) => logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'OIDC: discovery failed; tokens get 503 until it succeeds'),
  );
  const authenticator = createAuthenticator({ ...(apiKeys ? { apiKeys } : {}), ...(oidc ? { oidc } : {}), anonymous: config.AUTH_MODE === 'none' });
  const redis = config.REDIS_URL ? createRedisClient(config.REDIS_URL, { timeoutMs: config.REDIS_TIMEOUT_MS }) : undefined;
  let lastRedisWarning = 0;
  const redisTrouble = (err: Error): void => {
    // At most one line every 30 s: a Redis outage must not flood the log.
    if (Date.now() - lastRedisWarning < 30_000) return;
    lastRedisWarning = Date.now();
    logger.warn({ err: { message: err.message } }, 'rate limiting: Redis failed; this replica limits in memory until it is back');
  };
  redis?.on('error', redisTrouble);
  const rateLimitFallbacks = new Counter({
    name: 'http_rate_limit_store_errors_total',
    help: 'Rate-limit decisions taken by the in-memory fallback because Redis failed.',
    registers: [metrics.registry],
  });
  const limiter = createRateLimiter({
    perMinute: config.RATE_LIMIT_PER_MINUTE,
    burst: config.RATE_LIMIT_BURST,
    ...(redis ? { redis } : {}),
    onStoreError: (err) => {
      rateLimitFallbacks.inc();
      redisTrouble(err);
    },
  });
  const authFailures = new Counter({
    name: 'http_auth_failures_total',
    help: 'Requests refused at the public edge (401, 403, 429, 503), by reason.',
    labelNames: ['reason', 'status'] as const,
    registers: [metrics.registry],
  });
  if (config.AUTH_MODE === 'none') logger.warn({ host: config.HTTP_HOST }, 'AUTH_MODE=none: the API accepts anyone (loopback development only)');
  logger.info(
    {
      auth_mode: config.AUTH_MODE,
      api_keys: apiKeys?.size ?? 0,
      oidc_issuer: config.OIDC_ISSUER ?? null,
      rate_limit: { per_minute: config.RATE_LIMIT_PER_MINUTE, burst: config.RATE_LIMIT_BURST, store: redis ? 'redis' : 'memory' },
      cors_origins: config.CORS_ORIGINS,
    },
    'edge configured',
  );

  // The run store (PGlite in STORE_DIR, or DATABASE_URL) and the audit trail, mirrored into it.
  const instanceId = `orchestration-${randomUUID()}`;
  const store = await openStore({ ...storeConfigFromEnv(config), logger });
  const retention = startRetention(store, { days: config.RUN_RETENTION_DAYS, logger });
  const auditLog = config.audit.file ? await AuditLog.open(auditLogOptions(config.audit, {
        sink: storeSink(store, { source: `orchestration/${instanceId}`, hmacKey: config.audit.hmacKey }),
        logger,
      })) : undefined;
  const audit = (e: AuditEvent): void => {
    auditLog?.append(e).catch((err: unknown) => logger.error({ err }, 'audit record not written'));
  };
  logger.info(
    { store: store.kind, schema: store.migration.version, audit_log: config.audit.file ?? null, retention_days: config.RUN_RETENTION_DAYS, instance_id: instanceId },
    'run store open (instance_id is the lease holder of the runs this process executes)',
  );
  // Runs by status and open dead letters, read from the store once per scrape (alert on them).
  let countsRead: { at: number; value: ReturnType<typeof store.counts> } | undefined;
  const counts = async (): Promise<Awaited<ReturnType<typeof store.counts>> | undefined> => {
    if (!countsRead || Date.now() - countsRead.at > 1000) countsRead = { at: Date.now(), value: store.counts() };
    return countsRead.value.catch(() => undefined);
  };
  new Gauge({
    name: 'stats_runs',
    help: 'Runs in the store by status (all replicas).',
    labelNames: ['status'] as const,
    registers: [metrics.registry],
    async collect() {
      const c = await counts();
      for (const [status, n] of Object.entries(c?.runs ?? {})) this.set({ status }, n);
    },
  });
  new Gauge({
    name: 'stats_dead_letters_open',
    help: 'Dead letters waiting for an operator (all replicas).',
    registers: [metrics.registry],
    async collect() {
      const c = await counts();
      if (c) this.set(c.openDeadLetters);
    },
  });

  // Filled once the SVID is loaded; readiness reads it before that.
  const state: { clients?: ReturnType<typeof createAgentClients> } = {};
  let listening = false;
  const admin = await startAdminServer({
    host: config.ADMIN_HOST,
    port: config.ADMIN_PORT,
    registry: metrics.registry,
    readiness: async () => {
      const checks: Record<string, { ok: boolean; detail?: string }> = { http: { ok: listening } };
      checks['svid'] = { ok: state.clients !== undefined };
      checks['store'] = await store.ping().then(
        () => ({ ok: true }),
        () => ({ ok: false, detail: 'the run store does not answer' }),
      );
      if (state.clients) Object.assign(checks, await state.clients.health(1000, 'readyz'));
      return { ready: Object.values(checks).every((c) => c.ok), checks };
    },
  });

  const source = await createX509Source({ socketPath: config.SPIFFE_ENDPOINT_SOCKET, logger }).catch(async (err: unknown) => {
    await admin.close();
    throw err;
  });
  logger.info({ spiffe_id: source.getX509Svid().id.toString() }, 'X509-SVID loaded');
  observeSvid(source, { logger, metrics });
  const clients = createAgentClients(
    source,
    {
      research: { addr: config.RESEARCH_ADDR, id: config.researchId },
      synthesis: { addr: config.SYNTHESIS_ADDR, id: config.synthesisId },
      verification: { addr: config.VERIFICATION_ADDR, id: config.verificationId },
    },
    metrics,
  );
  state.clients = clients;

  const timeouts = { research: config.RESEARCH_TIMEOUT_MS, synthesis: config.SYNTHESIS_TIMEOUT_MS, verification: config.VERIFICATION_TIMEOUT_MS };
  const retries = new Counter({
    name: 'agent_call_retries_total',
    help: 'Agent calls retried after a transient failure, by agent and gRPC code.',
    labelNames: ['agent', 'code'] as const,
    registers: [metrics.registry],
  });
  const retry = {
    retry: { attempts: config.AGENT_RETRY_ATTEMPTS, baseMs: config.AGENT_RETRY_BASE_MS, maxMs: config.AGENT_RETRY_MAX_MS },
    onRetry: (r: { agent: string; code: string }) => retries.inc({ agent: r.agent, code: r.code }),
  };
  const runs = new RunService({
    store,
    logger,
    audit,
    instanceId,
    defaultVersion: config.WORKFLOW_VERSION,
    maxActive: config.RUNS_MAX_ACTIVE,
    leaseMs: config.RUN_LEASE_MS,
    sweepMs: config.RUN_SWEEP_MS,
    maxAttempts: config.RUN_MAX_ATTEMPTS,
    execute: (input, version, hooks) =>
      runWorkflow(
        { ...input, workflow_version: version },
        clients,
        {
          requestId: hooks.runId,
          signal: hooks.signal,
          timeouts,
          deadline: Date.now() + config.REQUEST_TIMEOUT_MS,
          roundTimeoutMs: config.ROUND_TIMEOUT_MS,
          maxRounds: config.MAX_ROUNDS,
          sourcesPerRound: config.SOURCES_PER_ROUND,
          ...retry,
          ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
          ...(hooks.steps ? { steps: hooks.steps } : {}),
          ...(hooks.onItems ? { onItems: hooks.onItems } : {}),
          ...(hooks.onPoison ? { onPoison: hooks.onPoison } : {}),
        },
        version,
      ),
  });
  const app = createHttpApp({
    agents: clients,
    logger,
    bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
    maxConcurrent: config.MAX_CONCURRENT_REQUESTS,
    httpDuration,
    workflowVersion: config.WORKFLOW_VERSION,
    edge: { authenticator, limiter },
    corsOrigins: config.CORS_ORIGINS,
    trustProxy: config.TRUST_PROXY,
    authFailures,
    // auth.success / auth.failure / authz.denied / rate_limit.exceeded; record() never throws.
    audit: (e) => auditLog?.record(e),
    routers: [
      createRunsRouter({
        runs,
        bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
        ownerOf,
        guards: { create: [requireScope('stats:search')], read: [requireScope('stats:read')] },
      }),
      // Dead letters and data-subject erasure (docs/dead-letters.md, docs/data-rights.md).
      createAdminRouter({ store, agents: clients, timeouts, guards: [requireScope('stats:admin')], audit, hashSubject: (owner) => hashTopic(owner, config.audit.hmacKey) }),
    ],
    settings: {
      timeouts,
      roundTimeoutMs: config.ROUND_TIMEOUT_MS,
      maxRounds: config.MAX_ROUNDS,
      sourcesPerRound: config.SOURCES_PER_ROUND,
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
      ...retry,
    },
  });
  const server = createServer(app);
  server.requestTimeout = config.REQUEST_TIMEOUT_MS + 5000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.HTTP_PORT, config.HTTP_HOST, () => resolve());
  });
  listening = true;
  runs.start();
  logger.info({ host: config.HTTP_HOST, port: (server.address() as AddressInfo).port }, 'HTTP API listening');

  installShutdown({
    logger,
    timeoutMs: config.SHUTDOWN_GRACE_MS + 5000,
    steps: [
      { name: 'readiness', run: () => admin.setDraining() },
      { name: 'runs', run: () => runs.drain(config.SHUTDOWN_GRACE_MS) },
      {
        name: 'http',
        run: () =>
          new Promise<void>((resolve) => {
            listening = false;
            server.close(() => resolve());
            server.closeIdleConnections();
            setTimeout(() => {
              server.closeAllConnections();
            }, config.SHUTDOWN_GRACE_MS).unref();
          }),
      },
      { name: 'agents', run: () => clients.close() },
      { name: 'retention', run: () => retention.stop() },
      { name: 'audit', run: async () => auditLog?.close() },
      { name: 'store', run: () => store.close() },
      { name: 'svid', run: () => source.close() },
      { name: 'admin', run: () => admin.close() },
      { name: 'redis', run: async () => void (await redis?.quit().catch(() => redis.disconnect())) },
    ],
  });
});

