#!/usr/bin/env node
import { AuditLog, auditLogOptions } from '@stats-agent/audit';
import { createLogger, registerSecretValues, urlPasswords } from '@stats-agent/logging';
import { connectRedis, createCache } from '@stats-agent/cache';
import type { PageText } from '@stats-agent/text';
import { createMetrics } from '@stats-agent/metrics';
import { startAgent } from '@stats-agent/rpc';
import { installShutdown, orchestratorIdOf, runMain } from '@stats-agent/runtime';
import { PageFetcher } from '@stats-agent/safe-fetch';
import { loadSecrets, SecretsError } from '@stats-agent/secrets';
import { synthesisPolicy } from './authz.js';
import { createExtractor } from '@stats-agent/llm';
import { llmSettings, loadConfig, synthesisSecrets } from './config.js';
import { SYNTHESIS_SERVICE, registerSynthesis } from './server.js';

runMain('synthesis', async () => {
  const config = loadConfig();
  const logger = createLogger({ service: 'synthesis', level: config.LOG_LEVEL });
  // A secret read from the config, not @stats-agent/secrets: never in a log line.
  registerSecretValues([...(config.audit.hmacKey ? [config.audit.hmacKey] : []), ...urlPasswords(config.REDIS_URL)], 'config');
  const metrics = createMetrics('synthesis');
  const auditLog = config.audit.file ? await AuditLog.open(auditLogOptions(config.audit, { logger })) : undefined;
  const system = { kind: 'system', id: 'synthesis' } as const;
  // The LLM key from the environment, a *_FILE mount or Vault; read at each call, so a rotated
  // key is used at once; every value is registered with the log scrubber.
  const declared = synthesisSecrets(config);
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
  const fetcher = new PageFetcher(
    { timeoutMs: config.FETCH_TIMEOUT_MS, maxBytes: config.FETCH_MAX_BYTES, allow: config.STATS_FETCH_ALLOW },
    { onRefusal: (reason) => logger.warn({ reason }, 'fetch refused by the SSRF policy') },
  );
  // Page texts by URL for PAGE_CACHE_TTL_MS: in memory, or in Redis shared by the replicas.
  const redis = config.REDIS_URL ? connectRedis(config.REDIS_URL) : undefined;
  redis?.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis error'));
  const pages = config.PAGE_CACHE_TTL_MS > 0
    ? createCache<PageText>({
        namespace: 'synthesis:page',
        ttlMs: config.PAGE_CACHE_TTL_MS,
        maxEntries: config.PAGE_CACHE_MAX_ENTRIES,
        ...(redis ? { redis } : {}),
        onError: (err) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'page cache unavailable; fetching without it'),
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
      registerSynthesis(server, { fetcher, ...(pages ? { pages } : {}), concurrency: config.FETCH_CONCURRENCY, maxPerPage: config.MAX_CANDIDATES_PER_PAGE, llm, logger }),
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
      await fetcher.close();
      redis?.disconnect();
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
