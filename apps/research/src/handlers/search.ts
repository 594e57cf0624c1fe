import type { SearchResponse } from '@stats-agent/proto';
import type { CallContext } from '@stats-agent/rpc';
import type { TtlCache } from '@stats-agent/runtime';
import { z } from 'zod';
import type { LocalIndex } from '../local-index.js';

export const searchRequestSchema = z.object({
  topic: z.string().trim().min(1, 'topic is required').max(500),
  limit: z.number().int().min(0).max(50),
  offset: z.number().int().min(0).max(10_000),
  reputable_only: z.boolean(),
});

/** One page of ranked results, as cached. */
export type SearchPage = ReturnType<LocalIndex['query']>;

/** Results are cached per (topic, flags, page) for the TTL; topics compare case- and space-insensitively. */
export function searchHandler(index: LocalIndex, defaultLimit: number, cache: TtlCache<string, SearchPage>) {
  return async (req: z.output<typeof searchRequestSchema>, ctx: CallContext): Promise<SearchResponse> => {
    const limit = req.limit || defaultLimit;
    const topic = req.topic.toLowerCase().replace(/\s+/g, ' ');
    const key = `${req.reputable_only ? 1 : 0}|${req.offset}|${limit}|${topic}`;
    let cached = true;
    const { hits, total } = await cache.getOrLoad(key, async () => {
      cached = false;
      return index.query(req.topic, req.offset, limit, req.reputable_only);
    });
    ctx.logger.info({ results: hits.length, total, offset: req.offset, cached }, 'search done');
    return {
      sources: hits.map((h, i) => ({ ...h, position: req.offset + i + 1 })),
      total,
      provider: 'local',
    };
  };
}
