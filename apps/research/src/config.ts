import { agentSchema, envInt, parseConfig } from '@stats-agent/runtime';
import { sampleCorpusDir } from '@stats-agent/corpus';
import { z } from 'zod';

const schema = agentSchema('research').extend({
  SEARCH_PROVIDER: z
    .enum(['local', 'serper', 'serpapi'])
    .default('local')
    .refine((p) => p === 'local', 'only `local` is available in this version (serper and serpapi come with the search-provider issue)'),
  LOCAL_CORPUS_DIR: z.string().min(1).default(sampleCorpusDir()),
  LOCAL_CORPUS_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('http://127.0.0.1:8010'),
  /** JSON tiers merged into the built-in ones (see reputation.ts). */
  REPUTATION_TIERS_FILE: z.string().min(1).optional(),
  SEARCH_CACHE_TTL_MS: envInt(300_000, 1, 86_400_000),
  SEARCH_CACHE_MAX_ENTRIES: envInt(1000, 1, 1_000_000),
  SEARCH_DEFAULT_LIMIT: z.coerce.number().int().min(1).max(50).default(10),
});

export type ResearchConfig = z.output<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<ResearchConfig> {
  return parseConfig('research', schema, env);
}
