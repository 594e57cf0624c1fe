#!/usr/bin/env node
import { createLogger } from '@stats-agent/logging';
import { createMetrics } from '@stats-agent/metrics';
import { startAgent } from '@stats-agent/rpc';
import { installShutdown, orchestratorIdOf, runMain } from '@stats-agent/runtime';
import { PageFetcher } from '@stats-agent/safe-fetch';
import { synthesisPolicy } from './authz.js';
import { createExtractor } from '@stats-agent/llm';
import { llmSettings, loadConfig } from './config.js';
import { SYNTHESIS_SERVICE, registerSynthesis } from './server.js';

runMain('synthesis', async () => {
  const config = loadConfig();
  const logger = createLogger({ service: 'synthesis', level: config.LOG_LEVEL });
  const metrics = createMetrics('synthesis');
  const fetcher = new PageFetcher(
    { timeoutMs: config.FETCH_TIMEOUT_MS, maxBytes: config.FETCH_MAX_BYTES, allow: config.STATS_FETCH_ALLOW },
    { onRefusal: (reason) => logger.warn({ reason }, 'fetch refused by the SSRF policy') },
  );
  // TODO(issue 3): the key comes from the frozen config until @stats-agent/secrets routes it.
  const llmConfig = llmSettings(config);
  const llm = llmConfig === undefined ? undefined : createExtractor(llmConfig);
  logger.info({ extraction: llm === undefined ? 'rules' : `${llm.provider}:${llm.model}` }, 'extraction configured');
  const agent = await startAgent({
    services: [SYNTHESIS_SERVICE],
    config,
    logger,
    metrics,
    policy: synthesisPolicy(orchestratorIdOf(config), config.SPIFFE_TRUST_DOMAIN),
    register: (server) =>
      registerSynthesis(server, { fetcher, concurrency: config.FETCH_CONCURRENCY, maxPerPage: config.MAX_CANDIDATES_PER_PAGE, llm, logger }),
    onStop: async () => {
      await fetcher.close();
      await llm?.close();
    },
  });
  installShutdown({ logger, timeoutMs: config.SHUTDOWN_GRACE_MS + 5000, steps: [{ name: 'agent', run: agent.stop }] });
});
