#!/usr/bin/env node
import { createLogger, urlPasswords } from '@stats-agent/logging';
import { openCache } from '@stats-agent/cache';
import type { PageText } from '@stats-agent/text';
import { createMetrics } from '@stats-agent/metrics';
import { startAgent } from '@stats-agent/rpc';
import { installShutdown, loadAuditedSecrets, mtlsDeniedEvent, openServiceAudit, orchestratorIdOf, runMain } from '@stats-agent/runtime';
import { PageFetcher } from '@stats-agent/safe-fetch';
import { synthesisPolicy } from './authz.js';
import { createExtractor } from '@stats-agent/llm';
import { llmSettings, loadConfig, synthesisSecrets } from './config.js';
import { SYNTHESIS_SERVICE, registerSynthesis } from './server.js';

runMain('synthesis', async () => {
  const config = loadConfig();
  const logger = createLogger({ service: 'synthesis', level: config.LOG_LEVEL });
  const metrics = createMetrics('synthesis');
  const auditLog = await openServiceAudit(config.audit, logger, urlPasswords(config.REDIS_URL));
  // The LLM key from the environment, a *_FILE mount or Vault; read at each call, so a rotated
  // key is used at once; every value is registered with the log scrubber.
  const declared = synthesisSecrets(config);
  const secrets = await loadAuditedSecrets({ service: 'synthesis', env: process.env, declare: declared, auditLog, logger });
  const fetcher = new PageFetcher(
    { timeoutMs: config.FETCH_TIMEOUT_MS, maxBytes: config.FETCH_MAX_BYTES, allow: config.STATS_FETCH_ALLOW },
    { onRefusal: (reason) => logger.warn({ reason }, 'fetch refused by the SSRF policy') },
  );
  // Page texts by URL for PAGE_CACHE_TTL_MS: in memory, or in Redis shared by the replicas.
  const pageCache =
    config.PAGE_CACHE_TTL_MS > 0
      ? openCache<PageText>({
          namespace: 'synthesis:page',
          ttlMs: config.PAGE_CACHE_TTL_MS,
          maxEntries: config.PAGE_CACHE_MAX_ENTRIES,
          redisUrl: config.REDIS_URL,
          what: 'page cache',
          warn: (obj, msg) => logger.warn(obj, msg),
        })
      : undefined;
  const llmConfig = llmSettings(config, secrets);
  const llm = llmConfig === undefined ? undefined : createExtractor(llmConfig);
  logger.info({ extraction: llm === undefined ? 'rules' : `${llm.provider}:${llm.model}`, secrets: secrets.provider, audit_log: config.audit.file ?? null }, 'extraction configured');
  const agent = await startAgent({
    services: [SYNTHESIS_SERVICE],
    config,
    logger,
    metrics,
    policy: synthesisPolicy(orchestratorIdOf(config), config.SPIFFE_TRUST_DOMAIN),
    register: (server) =>
      registerSynthesis(server, { fetcher, ...(pageCache ? { pages: pageCache.cache } : {}), concurrency: config.FETCH_CONCURRENCY, maxPerPage: config.MAX_CANDIDATES_PER_PAGE, llm, logger }),
    // Who was refused, for the audit trail: the caller's SPIFFE ID (or `unknown`), the method.
    onDenied: (d) => auditLog?.record(mtlsDeniedEvent(d)),
    onStop: async () => {
      await fetcher.close();
      pageCache?.close();
      await llm?.close();
      await secrets.close();
      await auditLog?.close();
    },
  }).catch(async (err: unknown) => {
    await secrets.close();
    await auditLog?.close();
    throw err;
  });
  installShutdown({ logger, timeoutMs: config.SHUTDOWN_GRACE_MS + 5000, steps: [{ name: 'agent', run: agent.stop }] });
});
