import { agentSchema, envInt, fetchSchema, parseConfig } from '@stats-agent/runtime';
import { z } from 'zod';

const schema = agentSchema('synthesis').extend(fetchSchema().shape).extend({
  LLM_PROVIDER: z
    .enum(['rules', 'openai', 'anthropic', 'gemini', 'ollama'])
    .default('rules')
    .refine((p) => p === 'rules', 'only `rules` is available in this version (LLM providers come with the extraction issue)'),
  MAX_CANDIDATES_PER_PAGE: envInt(25, 1, 200),
});

export type SynthesisConfig = z.output<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<SynthesisConfig> {
  return parseConfig('synthesis', schema, env);
}
