#!/usr/bin/env node
import { createLogger } from '@stats-agent/logging';
import { createMetrics } from '@stats-agent/metrics';
import { startAgent } from '@stats-agent/rpc';
import { installShutdown, orchestratorIdOf, runMain } from '@stats-agent/runtime';
import { PageFetcher } from '@stats-agent/safe-fetch';
import { synthesisPolicy } from './authz.js';
import { loadConfig } from './config.js';
import { SYNTHESIS_SERVICE, registerSynthesis } from './server.js';

runMain('synthesis', async () => {
  const config = loadConfig();
  const logger = createLogger({ service: 'synthesis', level: config.LOG_LEVEL });
  const metrics = createMetrics('synthesis');
  const fetcher = new PageFetcher(
    { timeoutMs: config.FETCH_TIMEOUT_MS, maxBytes: config.FETCH_MAX_BYTES, allow: config.STATS_FETCH_ALLOW },
    { onRefusal: (reason) => logger.warn({ reason }, 'fetch refused by the SSRF policy') },
  );
  const agent = await startAgent({
    services: [SYNTHESIS_SERVICE],
    config,
    logger,
    metrics,
    policy: synthesisPolicy(orchestratorIdOf(config), config.SPIFFE_TRUST_DOMAIN),
    register: (server) =>
      registerSynthesis(server, { fetcher, concurrency: config.FETCH_CONCURRENCY, maxPerPage: config.MAX_CANDIDATES_PER_PAGE, logger }),
    onStop: () => fetcher.close(),
  });
  installShutdown({ logger, timeoutMs: config.SHUTDOWN_GRACE_MS + 5000, steps: [{ name: 'agent', run: agent.stop }] });
});
