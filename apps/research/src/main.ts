#!/usr/bin/env node
import { connectRedis, createCache } from '@stats-agent/cache';
import { AuditLog, auditLogOptions } from '@stats-agent/audit';
import { createLogger, registerSecretValues, urlPasswords } from '@stats-agent/logging';
import { createMetrics } from '@stats-agent/metrics';
import { startAgent } from '@stats-agent/rpc';
import { installShutdown, orchestratorIdOf, runMain } from '@stats-agent/runtime';
import { researchPolicy } from './authz.js';
import { loadConfig, researchSecrets } from './config.js';
import type { TopicPages } from './handlers/search.js';
import { loadSecrets, SecretsError } from '@stats-agent/secrets';
import { createSearchProvider } from './providers/create.js';
import { DEFAULT_TIERS, Reputation, loadTiers } from './reputation.js';
import { RESEARCH_SERVICE, registerResearch } from './server.js';

runMain('research', async () => {
  const config = loadConfig();
  const logger = createLogger({ service: 'research', level: config.LOG_LEVEL });
  // Secrets that come from the config rather than @stats-agent/secrets: never in a log line.
  registerSecretValues([...(config.audit.hmacKey ? [config.audit.hmacKey] : []), ...urlPasswords(config.REDIS_URL)], 'config');
  const auditLog = config.audit.file ? await AuditLog.open(auditLogOptions(config.audit, { logger })) : undefined;
  const system = { kind: 'system', id: 'research' } as const;
  const metrics = createMetrics('research');
  const started = Date.now();
  const tiers = config.REPUTATION_TIERS_FILE ? await loadTiers(config.REPUTATION_TIERS_FILE) : DEFAULT_TIERS;
  // The provider's key from the environment, a *_FILE mount or Vault; read at each call, so a
  // rotated key is used at once; every value is registered with the log scrubber.
  const declared = researchSecrets(config);
  const secrets = await loadSecrets({ env: process.env, declare: declared, logger }).catch(async (err: unknown) => {
    auditLog?.record({ actor: system, action: 'secret.load_failed', resource: 'secret:*', outcome: 'failure', detail: { code: err instanceof SecretsError ? err.code : 'unknown' } });
    await auditLog?.close();
    throw err;
  });
  for (const d of declared) {
    if (secrets.has(d.name)) auditLog?.record({ actor: system, action: 'secret.loaded', resource: `secret:${d.name}`, outcome: 'success', detail: { provider: secrets.provider } });
  }
  secrets.onChange(({ names }) => {
    for (const name of names) auditLog?.record({ actor: system, action: 'secret.rotated', resource: `secret:${name}`, outcome: 'success', detail: { provider: secrets.provider } });
  });
  const provider = await createSearchProvider(config, {
    reputation: new Reputation(tiers),
    apiKeys: { serper: () => secrets.require('SERPER_API_KEY'), serpapi: () => secrets.require('SERPAPI_API_KEY') },
  });
  const redis = config.REDIS_URL ? connectRedis(config.REDIS_URL) : undefined;
  redis?.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis error'));
  const cache = createCache<TopicPages>({
    namespace: 'research:search',
    ttlMs: config.SEARCH_CACHE_TTL_MS,
    maxEntries: config.SEARCH_CACHE_MAX_ENTRIES,
    ...(redis ? { redis } : {}),
    onError: (err) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'search cache unavailable; searching without it'),
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
    onDenied: (d) =>
      auditLog?.record({
        actor: { kind: 'spiffe', id: d.caller ?? 'unknown' },
        action: 'mtls.denied',
        resource: `rpc:${d.method}`,
        outcome: 'denied',
        source_ip: d.peer.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1'),
        request_id: d.requestId,
        detail: { code: d.code },
      }),
    onStop: async () => {
      await provider.close();
      await secrets.close();
      redis?.disconnect();
      await auditLog?.close();
    },
  });
  installShutdown({ logger, timeoutMs: config.SHUTDOWN_GRACE_MS + 5000, steps: [{ name: 'agent', run: agent.stop }] });
});

