#!/usr/bin/env node
import { createLogger } from '@stats-agent/logging';
import { createMetrics } from '@stats-agent/metrics';
import { startAgent } from '@stats-agent/rpc';
import { installShutdown, mtlsDeniedEvent, openServiceAudit, orchestratorIdOf, runMain } from '@stats-agent/runtime';
import { PageFetcher } from '@stats-agent/safe-fetch';
import { verificationPolicy } from './authz.js';
import { loadConfig } from './config.js';
import { VERIFICATION_SERVICE, registerVerification } from './server.js';

runMain('verification', async () => {
  const config = loadConfig();
  const logger = createLogger({ service: 'verification', level: config.LOG_LEVEL });
  const metrics = createMetrics('verification');
  // Verification holds no API key; its audit log records the callers it refused.
  const auditLog = await openServiceAudit(config.audit, logger);
  // Its own fetcher: verification never trusts what synthesis read.
  const fetcher = new PageFetcher(
    { timeoutMs: config.FETCH_TIMEOUT_MS, maxBytes: config.FETCH_MAX_BYTES, allow: config.STATS_FETCH_ALLOW },
    { onRefusal: (reason) => logger.warn({ reason }, 'fetch refused by the SSRF policy') },
  );
  const agent = await startAgent({
    services: [VERIFICATION_SERVICE],
    config,
    logger,
    metrics,
    policy: verificationPolicy(orchestratorIdOf(config), config.SPIFFE_TRUST_DOMAIN),
    register: (server, source) =>
      registerVerification(server, {
        fetcher,
        concurrency: config.FETCH_CONCURRENCY,
        verifierId: () => source.getX509Svid().id.toString(),
        logger,
      }),
    // Who was refused, for the audit trail: the caller's SPIFFE ID (or `unknown`), the method.
    onDenied: (d) => auditLog?.record(mtlsDeniedEvent(d)),
    onStop: async () => {
      await fetcher.close();
      await auditLog?.close();
    },
  }).catch(async (err: unknown) => {
    await auditLog?.close();
    throw err;
  });
  installShutdown({ logger, timeoutMs: config.SHUTDOWN_GRACE_MS + 5000, steps: [{ name: 'agent', run: agent.stop }] });
});
