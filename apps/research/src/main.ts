#!/usr/bin/env node
import { openCache } from '@stats-agent/cache';
import { createLogger, urlPasswords } from '@stats-agent/logging';
import { createMetrics } from '@stats-agent/metrics';
import { startAgent } from '@stats-agent/rpc';
import { installShutdown, loadAuditedSecrets, mtlsDeniedEvent, openServiceAudit, orchestratorIdOf, runMain } from '@stats-agent/runtime';
import { researchPolicy } from './authz.js';
import { loadConfig, researchSecrets } from './config.js';
import type { TopicPages } from './handlers/search.js';
import { createSearchProvider } from './providers/create.js';
import { DEFAULT_TIERS, Reputation, loadTiers } from './reputation.js';
import { RESEARCH_SERVICE, registerResearch } from './server.js';

runMain('research', async () => {
  const config = loadConfig();
  const logger = createLogger({ service: 'research', level: config.LOG_LEVEL });
  const auditLog = await openServiceAudit(config.audit, logger, urlPasswords(config.REDIS_URL));
  const metrics = createMetrics('research');
  const started = Date.now();
  const tiers = config.REPUTATION_TIERS_FILE ? await loadTiers(config.REPUTATION_TIERS_FILE) : DEFAULT_TIERS;
  // The provider's key from the environment, a *_FILE mount or Vault; read at each call, so a
  // rotated key is used at once; every value is registered with the log scrubber.
  const declared = researchSecrets(config);
  const secrets = await loadAuditedSecrets({ service: 'research', env: process.env, declare: declared, auditLog, logger });
  const provider = await createSearchProvider(config, {
    reputation: new Reputation(tiers),
    apiKeys: { serper: () => secrets.require('SERPER_API_KEY'), serpapi: () => secrets.require('SERPAPI_API_KEY') },
  });
  const { cache, close: closeCache } = openCache<TopicPages>({
    namespace: 'research:search',
    ttlMs: config.SEARCH_CACHE_TTL_MS,
    maxEntries: config.SEARCH_CACHE_MAX_ENTRIES,
    redisUrl: config.REDIS_URL,
    what: 'search cache',
    warn: (obj, msg) => logger.warn(obj, msg),
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
        cache,
        cacheTtlMs: config.SEARCH_CACHE_TTL_MS,
      }),
    // Who was refused, for the audit trail: the caller's SPIFFE ID (or `unknown`), the method.
    onDenied: (d) => auditLog?.record(mtlsDeniedEvent(d)),
    onStop: async () => {
      await provider.close();
      await secrets.close();
      closeCache();
      await auditLog?.close();
    },
  });
  installShutdown({ logger, timeoutMs: config.SHUTDOWN_GRACE_MS + 5000, steps: [{ name: 'agent', run: agent.stop }] });
});

