import { status } from '@grpc/grpc-js';
import type { SearchResponse } from '@stats-agent/proto';
import { RpcError, type CallContext } from '@stats-agent/rpc';
import type { Cache } from '@stats-agent/cache';
import { z } from 'zod';
import { SearchProviderError, type SearchErrorCode, type SearchProvider, type SearchResult } from '../providers/provider.js';

export const searchRequestSchema = z.object({
  topic: z.string().trim().min(1, 'topic is required').max(500),
  limit: z.number().int().min(0).max(50),
  offset: z.number().int().min(0).max(10_000),
  reputable_only: z.boolean(),
});

/** One page of ranked results, as cached. */
export type SearchPage = SearchResult;

/** The gRPC status of each provider failure (see SearchErrorCode). */
const STATUS_OF: Record<SearchErrorCode, status> = {
  SEARCH_ERR_KEY_REJECTED: status.FAILED_PRECONDITION,
  SEARCH_ERR_QUOTA: status.RESOURCE_EXHAUSTED,
  SEARCH_ERR_RATE_LIMITED: status.RESOURCE_EXHAUSTED,
  SEARCH_ERR_UNAVAILABLE: status.UNAVAILABLE,
  SEARCH_ERR_TIMEOUT: status.UNAVAILABLE,
  SEARCH_ERR_BAD_RESPONSE: status.UNAVAILABLE,
  SEARCH_ERR_REQUEST_REJECTED: status.INVALID_ARGUMENT,
  SEARCH_ERR_CANCELLED: status.CANCELLED,
};

/** A provider failure as the RpcError the adapter sends: the provider-named message, its status. */
export function providerRpcError(err: SearchProviderError): RpcError {
  return new RpcError(err.code, STATUS_OF[err.code], err.message);
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * Results are cached per (provider, topic, flags, page) for the TTL; topics compare case- and
 * space-insensitively. Provider failures are not cached; they reach the caller with the
 * provider named and a status that says what to do (see {@link providerRpcError}).
 */
export function searchHandler(provider: SearchProvider, defaultLimit: number, cache: Cache<SearchPage>) {
  return async (req: z.output<typeof searchRequestSchema>, ctx: CallContext): Promise<SearchResponse> => {
    const limit = req.limit || defaultLimit;
    const topic = req.topic.toLowerCase().replace(/\s+/g, ' ');
    const key = `${provider.name}|${req.reputable_only ? 1 : 0}|${req.offset}|${limit}|${topic}`;
    let page: SearchPage;
    let cached: boolean;
    try {
      ({ value: page, cached } = await cache.getOrLoad(key, () =>
        provider.search(req.topic, { offset: req.offset, limit, reputableOnly: req.reputable_only, signal: ctx.signal }),
      ));
    } catch (err) {
      if (!(err instanceof SearchProviderError)) throw err;
      ctx.logger.warn({ provider: provider.name, code: err.code, http_status: err.httpStatus, err: err.message }, 'search provider failed');
      throw providerRpcError(err);
    }
    ctx.logger.info({ provider: provider.name, results: page.hits.length, total: page.total, offset: req.offset, cached }, 'search done');
    return { sources: page.hits, total: Math.min(page.total, INT32_MAX), provider: provider.name };
  };
}
