import { z } from 'zod';
import { PAGE_SIZE, retryHint, safeJson, shapeError, WebSearchProvider, type WebProviderOptions } from './common.js';
import { redact, type ProviderResponse } from './http.js';
import { SearchProviderError } from './provider.js';
import type { ProviderPage } from './ranked-pages.js';

/*
 * SerpApi (https://serpapi.com), Google Search API.
 *
 * Request:  GET {base}/search.json?engine=google&q=<query>&api_key=<key>&num=10&start=<offset>
 *           `start` is the 0-based result offset (0, 10, 20 …). The key travels in the query
 *           string, so the request URL is never logged, echoed, or put in an error or a metric,
 *           and provider messages are redacted before use.
 * Response 200 (fields we read; answer_box, knowledge_graph, related_questions … are ignored):
 *   {"search_metadata": {"id": "...", "status": "Success", "json_endpoint": "...", "total_time_taken": 1.11},
 *    "search_parameters": {"engine": "google", "q": "...", "google_domain": "google.com", "start": 10, ...},
 *    "search_information": {"query_displayed": "...", "total_results": 4340000000, "organic_results_state"?: "..."},
 *    "organic_results": [{"position": 11, "title": "...", "link": "https://...", "redirect_link": "...",
 *                         "displayed_link": "https://en.wikipedia.org › wiki › Coffee", "snippet": "...",
 *                         "source": "Wikipedia", "favicon": "...", "date"?: "..."}],
 *    "serpapi_pagination": {"current": 2, "next": "https://serpapi.com/search.json?...", "other_pages": {...}}}
 *   `total_results` is Google's estimate of all matches, far beyond what can be paged; a
 *   missing `serpapi_pagination.next` means the last page.
 * Errors are {"error": "<message>"}: 401 "Invalid API key. Your API key should be here: …";
 *   403 for an account without permission (deleted); 429 either "Your account has run out of
 *   searches." (no retry can help) or the hourly throughput limit; 400 for a bad parameter;
 *   500/503 when SerpApi fails, with "search_metadata.status": "Error". An HTTP 200 can carry
 *   "error" too: with status "Success" it means Google had no results ("Google hasn't returned
 *   any results for this query.") — an empty page, not a failure; a quota or key message in a
 *   200 is still treated as that failure.
 * Google stopped honouring more than 10 results per request in September 2025, so pages of 10
 * are asked for.
 */

export const SERPAPI_DEFAULT_BASE_URL = 'https://serpapi.com';
const organicSchema = z.looseObject({
  position: z.number().optional(),
  title: z.string().optional(),
  link: z.string(),
  snippet: z.string().optional(),
  displayed_link: z.string().optional(),
  source: z.string().optional(),
});

const responseSchema = z.looseObject({
  error: z.string().optional(),
  search_metadata: z.looseObject({ status: z.string().optional() }).optional(),
  search_information: z.looseObject({ total_results: z.number().nonnegative().optional() }).optional(),
  organic_results: z.array(z.unknown()).optional(),
  serpapi_pagination: z.looseObject({ next: z.string().optional() }).optional(),
});

const QUOTA = /run out of searches|searches for the month have run out|out of credits/i;
const BAD_KEY = /invalid api key/i;

/** Search through SerpApi's Google engine; see the comment above for the API as used. */
export class SerpApiProvider extends WebSearchProvider {
  constructor(opts: WebProviderOptions) {
    super('serpapi', opts, { defaultBase: SERPAPI_DEFAULT_BASE_URL, path: 'search.json' });
  }

  protected async fetchPage(query: string, page: number, signal: AbortSignal | undefined): Promise<ProviderPage> {
    const key = this.apiKey('SERPAPI_API_KEY');
    const secrets = [key, encodeURIComponent(key)];
    const url = new URL(this.endpoint);
    url.search = new URLSearchParams({ engine: 'google', q: query, api_key: key, num: String(PAGE_SIZE), start: String(page * PAGE_SIZE) }).toString();
    const res = await this.http.send({ method: 'GET', url, headers: { accept: 'application/json' } }, signal, (r) => !QUOTA.test(errorText(r)));
    const data = safeJson(res.text);
    if (res.status !== 200) throw this.statusError(res, data, secrets);
    if (data === undefined) throw new SearchProviderError(this.name, 'SEARCH_ERR_BAD_RESPONSE', 'malformed JSON in the response (HTTP 200)', 200);
    const parsed = responseSchema.safeParse(data);
    if (!parsed.success) throw shapeError(this.name, parsed.error);
    const body = parsed.data;
    if (body.error !== undefined) {
      const said = redact(body.error, secrets);
      if (QUOTA.test(said)) throw new SearchProviderError(this.name, 'SEARCH_ERR_QUOTA', `quota exhausted (HTTP 200: ${said})`, 200);
      if (BAD_KEY.test(said)) throw new SearchProviderError(this.name, 'SEARCH_ERR_KEY_REJECTED', 'API key rejected (HTTP 200); check SERPAPI_API_KEY', 200);
      if (body.search_metadata?.status === 'Error') throw new SearchProviderError(this.name, 'SEARCH_ERR_UNAVAILABLE', `search failed (HTTP 200: ${said})`, 200);
    }
    const items = body.organic_results ?? [];
    const results = items.flatMap((item) => {
      const r = organicSchema.safeParse(item);
      return r.success ? [r.data] : [];
    });
    if (items.length > 0 && results.length === 0) {
      throw new SearchProviderError(this.name, 'SEARCH_ERR_BAD_RESPONSE', 'unexpected response shape (no organic result has a link)', 200);
    }
    const more = items.length > 0 && (body.serpapi_pagination === undefined || body.serpapi_pagination.next !== undefined);
    return { results, more, estimatedTotal: body.search_information?.total_results };
  }

  private statusError(res: ProviderResponse, data: unknown, secrets: string[]): SearchProviderError {
    const raw = typeof (data as { error?: unknown } | undefined)?.error === 'string' ? (data as { error: string }).error : '';
    const said = redact(raw, secrets);
    const http = `HTTP ${res.status}`;
    const tail = said ? `: ${said}` : '';
    if (res.status === 401 || res.status === 403 || BAD_KEY.test(said)) {
      return new SearchProviderError(this.name, 'SEARCH_ERR_KEY_REJECTED', `API key rejected (${http}); check SERPAPI_API_KEY`, res.status);
    }
    if (res.status === 402 || QUOTA.test(said)) return new SearchProviderError(this.name, 'SEARCH_ERR_QUOTA', `quota exhausted (${http})`, res.status);
    if (res.status === 429) {
      return new SearchProviderError(this.name, 'SEARCH_ERR_RATE_LIMITED', `rate limit exceeded (${http}${retryHint(res)})`, res.status);
    }
    if (res.status >= 500) return new SearchProviderError(this.name, 'SEARCH_ERR_UNAVAILABLE', `server error (${http}${tail})`, res.status);
    if (res.status >= 400) return new SearchProviderError(this.name, 'SEARCH_ERR_REQUEST_REJECTED', `request rejected (${http}${tail})`, res.status);
    return new SearchProviderError(this.name, 'SEARCH_ERR_BAD_RESPONSE', `unexpected ${http}`, res.status);
  }
}

function errorText(res: ProviderResponse): string {
  const data = safeJson(res.text) as { error?: unknown } | undefined;
  return typeof data?.error === 'string' ? data.error : '';
}
