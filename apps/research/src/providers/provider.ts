/**
 * One search backend behind the research agent's Search RPC: the local corpus index, Serper or
 * SerpApi. A provider returns sources already normalized, de-duplicated, ranked by relevance ×
 * reputation and paged; it never logs and never puts an API key in an error.
 */
export interface SearchProvider {
  /** "local", "serper", "serpapi": reported to the caller and part of cache keys. */
  readonly name: string;
  /**
   * The ranked sources at `offset`..`offset + limit` of the provider's list for `topic`.
   * Rejects with a {@link SearchProviderError} naming the provider (bad key, quota, provider
   * down, malformed answer, deadline, caller cancelled); never with the key in the message.
   */
  search(topic: string, opts: SearchOptions): Promise<SearchResult>;
  /**
   * Drops whatever the provider itself keeps of `topic` (its own page cache), for a data
   * subject's erasure; returns the entries dropped. Absent when the provider keeps nothing.
   */
  forget?(topic: string): number;
  /** Releases sockets; calls in flight finish first. */
  close(): Promise<void>;
}

export interface SearchOptions {
  /** Ranked results to skip (the sources the caller already has). */
  offset: number;
  /** Most sources to return. */
  limit: number;
  /** Drop sources whose publisher has no reputation tier ("other"). */
  reputableOnly: boolean;
  /** The caller's cancellation (gRPC cancel or deadline). */
  signal?: AbortSignal | undefined;
}

/** A source as the Search RPC returns it (stats.common.v1.Source). */
export interface SearchHit {
  url: string;
  title: string;
  snippet: string;
  /** Host of `url`, lower case, without a leading "www.". */
  domain: string;
  /** 1-based rank in the provider's whole ranked list (continues from `offset`). */
  position: number;
  /** Relevance × reputation weight; higher is better, comparable within one response. */
  score: number;
  reputation_tier: string;
  publisher: string;
  publisher_domain: string;
}

export interface SearchResult {
  hits: SearchHit[];
  /**
   * How many sources the provider can page through for this topic (after de-duplication and
   * `reputableOnly`): exact once the provider's list has been read to its end or to the page
   * bound, otherwise an upper bound (never below what was found). 0 when nothing matched.
   */
  total: number;
}

/**
 * Why a provider call failed. The handler maps each to one gRPC status (see
 * handlers/search.ts): a rejected key is a FAILED_PRECONDITION of the deployment, quota and
 * rate limits are RESOURCE_EXHAUSTED, an unreachable, failing, slow or garbled provider is
 * UNAVAILABLE, a request the provider refuses is INVALID_ARGUMENT.
 */
export type SearchErrorCode =
  | 'SEARCH_ERR_KEY_REJECTED'
  | 'SEARCH_ERR_QUOTA'
  | 'SEARCH_ERR_RATE_LIMITED'
  | 'SEARCH_ERR_UNAVAILABLE'
  | 'SEARCH_ERR_TIMEOUT'
  | 'SEARCH_ERR_BAD_RESPONSE'
  | 'SEARCH_ERR_REQUEST_REJECTED'
  | 'SEARCH_ERR_CANCELLED';

/**
 * A provider failure. The message starts with the provider's name ("serper: quota exhausted
 * (HTTP 429)") and never contains the API key, a request URL or a whole response body.
 */
export class SearchProviderError extends Error {
  constructor(
    readonly provider: string,
    readonly code: SearchErrorCode,
    detail: string,
    readonly httpStatus?: number,
  ) {
    super(`${provider}: ${detail}`);
    this.name = 'SearchProviderError';
  }
}
