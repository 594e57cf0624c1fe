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

/** One page of ranked results. */
export type SearchPage = SearchResult;

/**
 * Everything cached for one (provider, topic): each window asked for (flags, offset, limit) with
 * when it was read. One cache entry per topic, so a topic can be forgotten with one delete (a
 * data subject's erasure, see the Forget RPC) — cache keys are hashes, so a topic's entries
 * could not be found otherwise.
 */
export interface TopicPages {
  windows: Record<string, SearchPage & { at: number }>;
}

/** Windows kept per topic (the oldest goes first): an orchestrator reads a few per run. */
export const MAX_WINDOWS_PER_TOPIC = 64;

/** A topic as searches compare it: case- and space-insensitively. */
export function normalizeTopic(topic: string): string {
  return topic.trim().toLowerCase().replace(/\s+/g, ' ');
}

/** The cache key of everything cached for `topic` from `provider`. */
export function topicCacheKey(provider: string, topic: string): string {
  return `${provider}|${normalizeTopic(topic)}`;
}

/**
 * A generation number per topic key, bumped by Forget: a search whose provider call was under way
 * when its topic was forgotten does not write its results back afterwards. Bounded (the oldest
 * keys go first); it covers this replica — see docs/data-rights.md for replicas sharing Redis.
 */
export class ForgetGenerations {
  private readonly gens = new Map<string, number>();
  constructor(private readonly max = 10_000) {}
  of(key: string): number {
    return this.gens.get(key) ?? 0;
  }
  bump(key: string): void {
    const next = this.of(key) + 1;
    this.gens.delete(key);
    this.gens.set(key, next);
    while (this.gens.size > this.max) {
      const oldest = this.gens.keys().next();
      if (oldest.done) break;
      this.gens.delete(oldest.value);
    }
  }
}

export interface SearchCacheOptions {
  /** How long a window stays fresh (the cache entry itself lives as long after its last write). */
  ttlMs: number;
  /** Shared with the Forget handler. */
  generations?: ForgetGenerations;
  now?: () => number;
}

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
 * Results are cached per (provider, topic), one window per (flags, offset, limit), each fresh
 * for the TTL; topics compare case- and space-insensitively. Provider failures are not cached;
 * they reach the caller with the provider named and a status that says what to do (see
 * {@link providerRpcError}).
 */
export function searchHandler(provider: SearchProvider, defaultLimit: number, cache: Cache<TopicPages>, opts: SearchCacheOptions) {
  const now = opts.now ?? Date.now;
  const generations = opts.generations ?? new ForgetGenerations();
  return async (req: z.output<typeof searchRequestSchema>, ctx: CallContext): Promise<SearchResponse> => {
    const limit = req.limit || defaultLimit;
    const key = topicCacheKey(provider.name, req.topic);
    const window = `${req.reputable_only ? 1 : 0}|${req.offset}|${limit}`;
    const hit = (await cache.get(key))?.windows[window];
    // The entry may come from Redis: a window of another shape is a miss, not a crash.
    const cached = hit !== undefined && Array.isArray(hit.hits) && typeof hit.total === 'number' && now() - hit.at < opts.ttlMs && now() >= hit.at;
    let page: SearchPage;
    if (cached) {
      page = { hits: hit.hits, total: hit.total };
    } else {
      const gen = generations.of(key);
      try {
        page = await provider.search(req.topic, { offset: req.offset, limit, reputableOnly: req.reputable_only, signal: ctx.signal });
      } catch (err) {
        if (!(err instanceof SearchProviderError)) throw err;
        ctx.logger.warn({ provider: provider.name, code: err.code, http_status: err.httpStatus, err: err.message }, 'search provider failed');
        throw providerRpcError(err);
      }
      if (generations.of(key) === gen) await cache.set(key, withWindow(await cache.get(key), window, { ...page, at: now() }, opts.ttlMs, now()));
    }
    ctx.logger.info({ provider: provider.name, results: page.hits.length, total: page.total, offset: req.offset, cached }, 'search done');
    return { sources: page.hits, total: Math.min(page.total, INT32_MAX), provider: provider.name };
  };
}

/** The topic's entry with `window` added, stale windows dropped and at most MAX_WINDOWS_PER_TOPIC kept (newest). */
function withWindow(entry: TopicPages | undefined, window: string, page: SearchPage & { at: number }, ttlMs: number, at: number): TopicPages {
  const windows = Object.entries(entry?.windows ?? {}).filter(([w, p]) => w !== window && typeof p?.at === 'number' && at - p.at < ttlMs);
  windows.push([window, page]);
  windows.sort((a, b) => a[1].at - b[1].at);
  return { windows: Object.fromEntries(windows.slice(-MAX_WINDOWS_PER_TOPIC)) };
}
