#!/usr/bin/env node
import { createLogger } from '@stats-agent/logging';
import { createMetrics } from '@stats-agent/metrics';
import { startAgent } from '@stats-agent/rpc';
import { installShutdown, orchestratorIdOf, runMain } from '@stats-agent/runtime';
import { researchPolicy } from './authz.js';
import { loadConfig } from './config.js';
import { LocalIndex } from './local-index.js';
import { DEFAULT_TIERS, Reputation, loadTiers } from './reputation.js';
import { RESEARCH_SERVICE, registerResearch } from './server.js';

runMain('research', async () => {
  const config = loadConfig();
  const logger = createLogger({ service: 'research', level: config.LOG_LEVEL });
  const metrics = createMetrics('research');
  const started = Date.now();
  const tiers = config.REPUTATION_TIERS_FILE ? await loadTiers(config.REPUTATION_TIERS_FILE) : DEFAULT_TIERS;
  const index = await LocalIndex.build(config.LOCAL_CORPUS_DIR, config.LOCAL_CORPUS_BASE_URL, new Reputation(tiers));
  logger.info({ documents: index.size, ms: Date.now() - started, base_url: config.LOCAL_CORPUS_BASE_URL }, 'local corpus indexed');
  const agent = await startAgent({
    services: [RESEARCH_SERVICE],
    config,
    logger,
    metrics,
    policy: researchPolicy(orchestratorIdOf(config), config.SPIFFE_TRUST_DOMAIN),
    register: (server) =>
      registerResearch(server, {
        index,
        logger,
        defaultLimit: config.SEARCH_DEFAULT_LIMIT,
        cacheTtlMs: config.SEARCH_CACHE_TTL_MS,
        cacheMaxEntries: config.SEARCH_CACHE_MAX_ENTRIES,
      }),
  });
  installShutdown({ logger, timeoutMs: config.SHUTDOWN_GRACE_MS + 5000, steps: [{ name: 'agent', run: agent.stop }] });
});
