import type { z } from 'zod';
import type { Reputation } from '../reputation.js';
import { ProviderHttp, type HttpHooks, type HttpLimits, type ProviderResponse } from './http.js';
import { SearchProviderError, type SearchOptions, type SearchProvider, type SearchResult } from './provider.js';
import { RankedPages, type ProviderPage } from './ranked-pages.js';

/** Results per provider request: Google answers at most 10 since September 2025. */
export const PAGE_SIZE = 10;

/** What a web search provider (Serper, SerpApi) is built from. */
export interface WebProviderOptions {
  /** Read at every call, so a rotated secret is used without restart. */
  apiKey: () => string;
  /** Scheme, host and optional path prefix; default the provider's public endpoint. */
  baseUrl?: string;
  reputation: Reputation;
  /** Provider pages read at most per topic. */
  maxPages: number;
  cacheTtlMs: number;
  cacheMaxEntries: number;
  http?: Partial<HttpLimits>;
  hooks?: HttpHooks;
}

/** `base` + `/path`, keeping a path prefix of `base`. */
export function endpointUrl(base: string, path: string): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path}`;
  url.search = '';
  url.hash = '';
  return url;
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function shapeError(provider: string, err: z.ZodError): SearchProviderError {
  const issue = err.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'response';
  return new SearchProviderError(provider, 'SEARCH_ERR_BAD_RESPONSE', `unexpected response shape (${where}: ${issue?.message ?? 'invalid'})`, 200);
}

export function retryHint(res: ProviderResponse): string {
  return res.retryAfterMs === undefined ? '' : `, retry after ${Math.ceil(res.retryAfterMs / 1000)} s`;
}

/**
 * What Serper and SerpApi share: the HTTP client, the endpoint, and ranked, cached paging over
 * the provider's pages of {@link PAGE_SIZE}. A provider says only how one page is fetched.
 */
export abstract class WebSearchProvider implements SearchProvider {
  protected readonly http: ProviderHttp;
  protected readonly endpoint: URL;
  private readonly ranked: RankedPages;

  constructor(
    readonly name: string,
    protected readonly opts: WebProviderOptions,
    endpoint: { defaultBase: string; path: string },
  ) {
    this.endpoint = endpointUrl(opts.baseUrl ?? endpoint.defaultBase, endpoint.path);
    this.http = new ProviderHttp(name, opts.http, opts.hooks);
    this.ranked = new RankedPages({
      pageSize: PAGE_SIZE,
      maxPages: opts.maxPages,
      reputation: opts.reputation,
      cacheTtlMs: opts.cacheTtlMs,
      cacheMaxEntries: opts.cacheMaxEntries,
      fetchPage: (q, page, signal) => this.fetchPage(q, page, signal),
    });
  }

  search(topic: string, opts: SearchOptions): Promise<SearchResult> {
    return this.ranked.search(topic, opts);
  }

  forget(topic: string): number {
    return this.ranked.forget(topic);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** The API key, read now; an empty one is refused naming its variable. */
  protected apiKey(variable: string): string {
    const key = this.opts.apiKey();
    if (key === '') throw new SearchProviderError(this.name, 'SEARCH_ERR_KEY_REJECTED', `no API key (${variable} is empty)`);
    return key;
  }

  /** One page (0-based) of the provider's results for `query`. */
  protected abstract fetchPage(query: string, page: number, signal: AbortSignal | undefined): Promise<ProviderPage>;
}
