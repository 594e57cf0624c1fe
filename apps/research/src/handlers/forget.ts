import type { ForgetResponse } from '@stats-agent/proto';
import type { CallContext } from '@stats-agent/rpc';
import type { Cache } from '@stats-agent/cache';
import { z } from 'zod';
import type { SearchProvider } from '../providers/provider.js';
import { normalizeTopic, topicCacheKey, type ForgetGenerations, type TopicPages } from './search.js';

/** Topics per Forget call: the orchestrator sends a subject's topics in batches of this many. */
export const MAX_FORGET_TOPICS = 100;

export const forgetRequestSchema = z.object({
  topics: z
    .array(z.string().trim().min(1, 'a topic must not be empty').max(500, 'a topic is at most 500 characters'))
    .min(1, 'topics is required')
    .max(MAX_FORGET_TOPICS, `at most ${MAX_FORGET_TOPICS} topics per call`),
});

/**
 * Forget: drops everything cached of each topic — the search cache's entry for (provider, topic)
 * with all its windows, and the provider's own page cache — and makes a search of that topic
 * still under way not write its results back. Idempotent; logs counts, never topics.
 */
export function forgetHandler(provider: SearchProvider, cache: Cache<TopicPages>, generations: ForgetGenerations) {
  return async (req: z.output<typeof forgetRequestSchema>, ctx: CallContext): Promise<ForgetResponse> => {
    const topics = [...new Set(req.topics.map(normalizeTopic))];
    const keys = topics.map((t) => topicCacheKey(provider.name, t));
    for (const k of keys) generations.bump(k);
    let forgotten = await cache.delete(keys);
    for (const t of topics) forgotten += provider.forget?.(t) ?? 0;
    ctx.logger.info({ topics: topics.length, forgotten, backend: cache.backend }, 'topics forgotten');
    return { forgotten };
  };
}
