import { auditConfigFromEnv, type AuditConfig } from '@stats-agent/audit';
import { agentSchema, envInt, parseConfig } from '@stats-agent/runtime';
import { sampleCorpusDir } from '@stats-agent/corpus';
import type { SecretDeclaration } from '@stats-agent/secrets';
import { z } from 'zod';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A provider's base URL: https, or plain http only on loopback (the tests' fake providers).
 * No credentials, query or fragment: the key is sent by the provider code, never in this URL.
 */
const providerBaseUrl = (dflt: string) =>
  z
    .string()
    .default(dflt)
    .superRefine((v, ctx) => {
      const problem = baseUrlProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

/** One problem at most, never echoing the value. */
function baseUrlProblem(value: string): string | undefined {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return 'must be an http(s) URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must be an http(s) URL';
  if (u.protocol === 'http:' && !LOOPBACK_HOSTS.has(u.hostname)) return 'must be https (plain http only on 127.0.0.1 or localhost)';
  if (u.username !== '' || u.password !== '' || u.search !== '' || u.hash !== '') return 'must not carry credentials, a query or a fragment';
  return undefined;
}

const schema = agentSchema('research')
  .extend({
    SEARCH_PROVIDER: z.enum(['local', 'serper', 'serpapi']).default('local'),
    SERPER_BASE_URL: providerBaseUrl('https://google.serper.dev'),
    SERPAPI_BASE_URL: providerBaseUrl('https://serpapi.com'),
    /** Deadline of one provider HTTP request (each attempt). */
    SEARCH_TIMEOUT_MS: envInt(10_000, 100, 120_000),
    /** Provider pages (10 results each) read at most per topic: bounds credits per search. */
    SEARCH_MAX_PAGES: envInt(5, 1, 10),
    /** Only read with SEARCH_PROVIDER=local. */
    LOCAL_CORPUS_DIR: z.string().min(1).default(sampleCorpusDir()),
    LOCAL_CORPUS_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('http://127.0.0.1:8010'),
    /** JSON tiers merged into the built-in ones (see reputation.ts). */
    REPUTATION_TIERS_FILE: z.string().min(1).optional(),
    SEARCH_CACHE_TTL_MS: envInt(300_000, 1, 86_400_000),
    /** Search results are cached here instead of in memory when set, so replicas share them. */
    REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
    SEARCH_CACHE_MAX_ENTRIES: envInt(1000, 1, 1_000_000),
    SEARCH_DEFAULT_LIMIT: z.coerce.number().int().min(1).max(50).default(10),
  });

export type ResearchConfig = z.output<typeof schema> & {
  /** The agent's audit log (AUDIT_LOG_FILE, AUDIT_HMAC_KEY, …); no file: no audit log. */
  audit: Readonly<AuditConfig>;
};

/**
 * The secrets research needs: the selected web provider's key, from `SERPER_API_KEY` /
 * `SERPAPI_API_KEY`, their `*_FILE` mounts or Vault (see @stats-agent/secrets). The local
 * provider needs none.
 */
export function researchSecrets(config: Pick<ResearchConfig, 'SEARCH_PROVIDER'>): SecretDeclaration[] {
  if (config.SEARCH_PROVIDER === 'serper') return [{ name: 'SERPER_API_KEY', required: true }];
  if (config.SEARCH_PROVIDER === 'serpapi') return [{ name: 'SERPAPI_API_KEY', required: true }];
  return [];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<ResearchConfig> {
  return Object.freeze({ ...parseConfig('research', schema, env), audit: auditConfigFromEnv(env) });
}
