import { DEFAULT_BASE_URLS, DEFAULT_MODELS, checkBaseUrl, type LlmProviderName } from '@stats-agent/llm';
import { auditConfigFromEnv, type AuditConfig } from '@stats-agent/audit';
import { agentSchema, envInt, fetchSchema, parseConfig } from '@stats-agent/runtime';
import type { SecretDeclaration, Secrets } from '@stats-agent/secrets';
import { z } from 'zod';

/** Which variable holds the key of each provider; ollama and vllm take an optional LLM_API_KEY. */
export const LLM_KEY_VARIABLE = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  gemini: 'GEMINI_API_KEY',
  xai: 'XAI_API_KEY',
  ollama: 'LLM_API_KEY',
  vllm: 'LLM_API_KEY',
} as const satisfies Record<LlmProviderName, string>;

const KEY_REQUIRED = new Set<string>(['openai', 'anthropic', 'gemini', 'xai']);

const schema = agentSchema('synthesis')
  .extend(fetchSchema().shape)
  .extend({
    LLM_PROVIDER: z.enum(['rules', 'openai', 'anthropic', 'gemini', 'ollama', 'xai', 'vllm']).default('rules'),
    /** Defaults per provider (see @stats-agent/llm DEFAULT_MODELS); required for vllm. */
    LLM_MODEL: z
      .string()
      .trim()
      .max(200)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/, 'must be a model name (letters, digits, . _ : / @ -)')
      .optional(),
    /** Defaults per provider (see @stats-agent/llm DEFAULT_BASE_URLS); required for vllm. */
    LLM_BASE_URL: z
      .string()
      .optional()
      .superRefine((v, ctx) => {
        if (v === undefined) return;
        try {
          checkBaseUrl(v);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      }),
    /** Deadline of one page's LLM call (all attempts and back-off). */
    LLM_TIMEOUT_MS: envInt(60_000, 1000, 600_000),
    /** LLM calls in flight at once (pages wait for a slot within their own deadline). */
    LLM_CONCURRENCY: envInt(4, 1, 32),
    MAX_CANDIDATES_PER_PAGE: envInt(25, 1, 200),
    /** Page texts kept by URL (0: no cache), and how many; in Redis with REDIS_URL. */
    PAGE_CACHE_TTL_MS: envInt(600_000, 0, 86_400_000),
    PAGE_CACHE_MAX_ENTRIES: envInt(500, 1, 100_000),
    REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  })
  // `when` lets these run beside other problems, so every problem is reported at once.
  .superRefine((c, ctx) => {
    // The keys themselves are secrets, loaded by @stats-agent/secrets (see synthesisSecrets).
    if (c.LLM_PROVIDER === 'rules') return;
    if (c.LLM_MODEL === undefined && DEFAULT_MODELS[c.LLM_PROVIDER] === undefined) {
      ctx.addIssue({ code: 'custom', path: ['LLM_MODEL'], message: `is required when LLM_PROVIDER=${c.LLM_PROVIDER}` });
    }
    if (c.LLM_BASE_URL === undefined && DEFAULT_BASE_URLS[c.LLM_PROVIDER] === undefined) {
      ctx.addIssue({ code: 'custom', path: ['LLM_BASE_URL'], message: `is required when LLM_PROVIDER=${c.LLM_PROVIDER}` });
    }
  }, { when: (p) => providerOf(p.value) !== undefined });

/** The LLM provider named in a (possibly partly invalid) parsed value, if it is a known one. */
function providerOf(value: unknown): LlmProviderName | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const p = (value as Record<string, unknown>)['LLM_PROVIDER'];
  return typeof p === 'string' && Object.hasOwn(LLM_KEY_VARIABLE, p) ? (p as LlmProviderName) : undefined;
}

export type SynthesisConfig = z.output<typeof schema> & {
  /** The agent's audit log (AUDIT_LOG_FILE, AUDIT_HMAC_KEY, …); no file: no audit log. */
  audit: Readonly<AuditConfig>;
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<SynthesisConfig> {
  return Object.freeze({ ...parseConfig('synthesis', schema, env), audit: auditConfigFromEnv(env) });
}

/**
 * The secrets synthesis needs: the selected LLM provider's key (`OPENAI_API_KEY`,
 * `ANTHROPIC_API_KEY`, `GEMINI_API_KEY`, `XAI_API_KEY`; required), or `LLM_API_KEY` for ollama
 * and vllm (optional), from the environment, a `*_FILE` mount or Vault (see
 * @stats-agent/secrets). `rules` needs none.
 */
export function synthesisSecrets(config: Pick<SynthesisConfig, 'LLM_PROVIDER'>): SecretDeclaration[] {
  const provider = config.LLM_PROVIDER;
  if (provider === 'rules') return [];
  return [{ name: LLM_KEY_VARIABLE[provider], required: KEY_REQUIRED.has(provider) }];
}

/**
 * The LLM settings of a config, or undefined for `rules`. `apiKey` reads the key from `secrets`
 * at each call, so a rotated key is used at once; a required key that is gone throws
 * `SECRETS_ERR_MISSING` (the page gets an LLM error), an optional one reads as ''.
 */
export function llmSettings(
  config: Readonly<Omit<SynthesisConfig, 'audit'>>,
  secrets: Pick<Secrets, 'get' | 'require'>,
):
  | { provider: LlmProviderName; model: string | undefined; baseUrl: string | undefined; timeoutMs: number; maxConcurrent: number; apiKey: () => string }
  | undefined {
  const provider = config.LLM_PROVIDER;
  if (provider === 'rules') return undefined;
  const keyVar = LLM_KEY_VARIABLE[provider];
  const required = KEY_REQUIRED.has(provider);
  return {
    provider,
    model: config.LLM_MODEL,
    baseUrl: config.LLM_BASE_URL,
    timeoutMs: config.LLM_TIMEOUT_MS,
    maxConcurrent: config.LLM_CONCURRENCY,
    apiKey: () => (required ? secrets.require(keyVar) : (secrets.get(keyVar) ?? '')),
  };
}
