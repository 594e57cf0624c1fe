import { agentSchema, envInt, parseConfig } from '@stats-agent/runtime';
import { z } from 'zod';

const schema = agentSchema('synthesis').extend({
  LLM_PROVIDER: z
    .enum(['rules', 'openai', 'anthropic', 'gemini', 'ollama'])
    .default('rules')
    .refine((p) => p === 'rules', 'only `rules` is available in this version (LLM providers come with the extraction issue)'),
  FETCH_CONCURRENCY: envInt(4, 1, 32),
  FETCH_TIMEOUT_MS: envInt(10_000, 100, 120_000),
  FETCH_MAX_BYTES: envInt(5 * 1024 * 1024, 1024, 50 * 1024 * 1024),
  MAX_CANDIDATES_PER_PAGE: envInt(25, 1, 200),
});

export type SynthesisConfig = z.output<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<SynthesisConfig> {
  return parseConfig('synthesis', schema, env);
}
