#!/usr/bin/env node
import { createLogger, registerSecretValues } from '@stats-agent/logging';
import { createMetrics } from '@stats-agent/metrics';
import { startAgent } from '@stats-agent/rpc';
import { installShutdown, orchestratorIdOf, runMain } from '@stats-agent/runtime';
import { researchPolicy } from './authz.js';
import { loadConfig } from './config.js';
import { createSearchProvider } from './providers/create.js';
import { DEFAULT_TIERS, Reputation, loadTiers } from './reputation.js';
import { RESEARCH_SERVICE, registerResearch } from './server.js';

runMain('research', async () => {
  const config = loadConfig();
  const logger = createLogger({ service: 'research', level: config.LOG_LEVEL });
  const metrics = createMetrics('research');
  const started = Date.now();
  const tiers = config.REPUTATION_TIERS_FILE ? await loadTiers(config.REPUTATION_TIERS_FILE) : DEFAULT_TIERS;
  // TODO(issue 3): keys through @stats-agent/secrets (file and Vault variants) once it lands.
  // Defence in depth: should a key ever reach a log line (an upstream echo), it is scrubbed.
  registerSecretValues([config.SERPER_API_KEY, config.SERPAPI_API_KEY].filter((k): k is string => k !== undefined), 'search-provider-keys');
  const provider = await createSearchProvider(config, {
    reputation: new Reputation(tiers),
    apiKeys: { serper: () => config.SERPER_API_KEY ?? '', serpapi: () => config.SERPAPI_API_KEY ?? '' },
  });
  if (config.SEARCH_PROVIDER === 'local') {
    logger.info({ provider: provider.name, ms: Date.now() - started, base_url: config.LOCAL_CORPUS_BASE_URL }, 'local corpus indexed');
  } else {
    const baseUrl = config.SEARCH_PROVIDER === 'serper' ? config.SERPER_BASE_URL : config.SERPAPI_BASE_URL;
    logger.info({ provider: provider.name, base_url: baseUrl, max_pages: config.SEARCH_MAX_PAGES, timeout_ms: config.SEARCH_TIMEOUT_MS }, 'web search provider ready');
  }
  const agent = await startAgent({
    services: [RESEARCH_SERVICE],
    config,
    logger,
    metrics,
    policy: researchPolicy(orchestratorIdOf(config), config.SPIFFE_TRUST_DOMAIN),
    register: (server) =>
      registerResearch(server, {
        provider,
        logger,
        defaultLimit: config.SEARCH_DEFAULT_LIMIT,
        cacheTtlMs: config.SEARCH_CACHE_TTL_MS,
        cacheMaxEntries: config.SEARCH_CACHE_MAX_ENTRIES,
      }),
    onStop: () => provider.close(),
  });
  installShutdown({ logger, timeoutMs: config.SHUTDOWN_GRACE_MS + 5000, steps: [{ name: 'agent', run: agent.stop }] });
});
