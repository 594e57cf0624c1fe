import { z } from 'zod';
import { PAGE_SIZE, retryHint, safeJson, shapeError, WebSearchProvider, type WebProviderOptions } from './common.js';
import { redact, type ProviderResponse } from './http.js';
import { SearchProviderError } from './provider.js';
import type { ProviderPage } from './ranked-pages.js';

/*
 * Serper (https://serper.dev), Google results as JSON.
 *
 * Request:  POST {base}/search
 *           X-API-KEY: <key>            Content-Type: application/json
 *           {"q": "<query>", "num": 10, "page": <1-based page>}
 * Response 200 (fields we read; the rest — knowledgeGraph, answerBox, peopleAlsoAsk,
 * relatedSearches, topStories … — is ignored):
 *   {"searchParameters": {"q": "...", "type": "search", "num": 10, "page": 2, "engine": "google"},
 *    "organic": [{"title": "...", "link": "https://...", "snippet": "...", "position": 1,
 *                 "date"?: "Mar 3, 2024", "sitelinks"?: [{title, link}]}],
 *    "credits": 1}
 *   `position` counts within the page, so the rank across pages is computed here.
 *   Serper gives no total and no "next page" flag: a page without organic results ends the list.
 * Errors: {"message": "Unauthorized.", "statusCode": 403} for a missing or wrong key (401 is
 *   treated alike); {"message": "Not enough credits", "statusCode": 400} when the account is
 *   out of credits (so a 400 whose message speaks of credits is a quota error, as is a 402);
 *   429 when requests come too fast; 5xx when Serper fails.
 * Google stopped honouring more than 10 results per request in September 2025, so pages of 10
 * are asked for and paged with `page`.
 */

export const SERPER_DEFAULT_BASE_URL = 'https://google.serper.dev';
const organicSchema = z.looseObject({
  title: z.string().optional(),
  link: z.string(),
  snippet: z.string().optional(),
  position: z.number().optional(),
  date: z.string().optional(),
});

const responseSchema = z.looseObject({
  searchParameters: z.looseObject({ q: z.string() }),
  organic: z.array(z.unknown()).optional(),
  credits: z.number().optional(),
});

const errorSchema = z.looseObject({ message: z.string().optional(), statusCode: z.number().optional() });

/** Search through Serper; see the comment above for the API as used. */
export class SerperProvider extends WebSearchProvider {
  constructor(opts: WebProviderOptions) {
    super('serper', opts, { defaultBase: SERPER_DEFAULT_BASE_URL, path: 'search' });
  }

  protected async fetchPage(query: string, page: number, signal: AbortSignal | undefined): Promise<ProviderPage> {
    const key = this.apiKey('SERPER_API_KEY');
    const res = await this.http.send(
      {
        method: 'POST',
        url: this.endpoint,
        headers: { 'x-api-key': key, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ q: query, num: PAGE_SIZE, page: page + 1 }),
      },
      signal,
    );
    if (res.status !== 200) throw this.statusError(res, key);
    let data: unknown;
    try {
      data = JSON.parse(res.text);
    } catch {
      throw new SearchProviderError(this.name, 'SEARCH_ERR_BAD_RESPONSE', 'malformed JSON in the response (HTTP 200)', 200);
    }
    const parsed = responseSchema.safeParse(data);
    if (!parsed.success) throw shapeError(this.name, parsed.error);
    const items = parsed.data.organic ?? [];
    const results = items.flatMap((item) => {
      const r = organicSchema.safeParse(item);
      return r.success ? [r.data] : [];
    });
    if (items.length > 0 && results.length === 0) {
      throw new SearchProviderError(this.name, 'SEARCH_ERR_BAD_RESPONSE', 'unexpected response shape (no organic result has a link)', 200);
    }
    return { results, more: items.length > 0 };
  }

  private statusError(res: ProviderResponse, key: string): SearchProviderError {
    const body = errorSchema.safeParse(safeJson(res.text));
    const said = body.success && body.data.message ? redact(body.data.message, [key, encodeURIComponent(key)]) : '';
    const http = `HTTP ${res.status}`;
    const tail = said ? `: ${said}` : '';
    if (res.status === 401 || res.status === 403) {
      return new SearchProviderError(this.name, 'SEARCH_ERR_KEY_REJECTED', `API key rejected (${http}); check SERPER_API_KEY`, res.status);
    }
    if (res.status === 402 || (res.status === 400 && /credit/i.test(said))) {
      return new SearchProviderError(this.name, 'SEARCH_ERR_QUOTA', `quota exhausted (${http}${tail})`, res.status);
    }
    if (res.status === 429) {
      return new SearchProviderError(this.name, 'SEARCH_ERR_QUOTA', `quota or rate limit exhausted (${http}${retryHint(res)})`, res.status);
    }
    if (res.status >= 500) return new SearchProviderError(this.name, 'SEARCH_ERR_UNAVAILABLE', `server error (${http})`, res.status);
    if (res.status >= 400) return new SearchProviderError(this.name, 'SEARCH_ERR_REQUEST_REJECTED', `request rejected (${http}${tail})`, res.status);
    return new SearchProviderError(this.name, 'SEARCH_ERR_BAD_RESPONSE', `unexpected ${http}`, res.status);
  }
}
