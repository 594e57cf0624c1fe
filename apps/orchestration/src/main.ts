#!/usr/bin/env node
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@stats-agent/logging';
import { createMetrics, startAdminServer } from '@stats-agent/metrics';
import { observeSvid } from '@stats-agent/rpc';
import { installShutdown, runMain } from '@stats-agent/runtime';
import { createX509Source } from '@stats-agent/spiffe';
import { Histogram } from 'prom-client';
import { createAgentClients } from './clients.js';
import { loadConfig } from './config.js';
import { createHttpApp } from './http/app.js';
import { createRunsRouter, principalOf } from './http/runs.js';
import { RunRegistry } from './runs.js';
import { orchestrate } from './workflow.js';

runMain('orchestration', async () => {
  const config = loadConfig();
  const logger = createLogger({ service: 'orchestration', level: config.LOG_LEVEL });
  const metrics = createMetrics('orchestration');
  const httpDuration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Public HTTP API request duration by route and status.',
    labelNames: ['route', 'status'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [metrics.registry],
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
  const runs = new RunRegistry({
    maxActive: config.RUNS_MAX_ACTIVE,
    maxKept: config.RUNS_MAX_KEPT,
    ttlMs: config.RUN_TTL_MS,
    execute: (input, run) =>
      orchestrate(input, clients, {
        requestId: run.id,
        signal: run.signal,
        onProgress: run.onProgress,
        timeouts,
        deadline: Date.now() + config.REQUEST_TIMEOUT_MS,
        roundTimeoutMs: config.ROUND_TIMEOUT_MS,
        maxRounds: config.MAX_ROUNDS,
        sourcesPerRound: config.SOURCES_PER_ROUND,
      }),
  });
  const app = createHttpApp({
    agents: clients,
    logger,
    bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES,
    maxConcurrent: config.MAX_CONCURRENT_REQUESTS,
    httpDuration,
    routers: [createRunsRouter({ registry: runs, bodyLimitBytes: config.HTTP_BODY_LIMIT_BYTES, ownerOf: principalOf })],
    settings: {
      timeouts,
      roundTimeoutMs: config.ROUND_TIMEOUT_MS,
      maxRounds: config.MAX_ROUNDS,
      sourcesPerRound: config.SOURCES_PER_ROUND,
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
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
      { name: 'svid', run: () => source.close() },
      { name: 'admin', run: () => admin.close() },
    ],
  });
});
