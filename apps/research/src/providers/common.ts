import type { z } from 'zod';
import type { Reputation } from '../reputation.js';
import type { HttpHooks, HttpLimits, ProviderResponse } from './http.js';
import { SearchProviderError } from './provider.js';

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
