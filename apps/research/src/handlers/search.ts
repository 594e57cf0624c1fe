import type { SearchResponse } from '@stats-agent/proto';
import type { CallContext } from '@stats-agent/rpc';
import { z } from 'zod';
import type { LocalIndex } from '../local-index.js';

export const searchRequestSchema = z.object({
  topic: z.string().trim().min(1, 'topic is required').max(500),
  limit: z.number().int().min(0).max(50),
  offset: z.number().int().min(0).max(10_000),
  reputable_only: z.boolean(),
});

export function searchHandler(index: LocalIndex, defaultLimit: number) {
  return async (req: z.output<typeof searchRequestSchema>, ctx: CallContext): Promise<SearchResponse> => {
    const limit = req.limit || defaultLimit;
    const { hits, total } = index.query(req.topic, req.offset, limit, req.reputable_only);
    ctx.logger.info({ results: hits.length, total, offset: req.offset }, 'search done');
    return {
      sources: hits.map((h, i) => ({ ...h, position: req.offset + i + 1 })),
      total,
      provider: 'local',
    };
  };
}
