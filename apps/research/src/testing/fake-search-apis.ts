import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Test helpers: local fakes of Serper and SerpApi on 127.0.0.1 that speak the real APIs'
 * request and response shapes (as documented; see providers/serper.ts and serpapi.ts), check
 * every request strictly — a wrong method, path, header, parameter or body is answered the way
 * the real API answers it and recorded in `problems` — and can be scripted to fail.
 */

export interface FakeResult {
  link: string;
  title: string;
  snippet?: string;
  /** SerpApi's site name. */
  source?: string;
}

/** A canned answer served instead of the results, first in first out. */
export interface Scripted {
  status: number;
  body: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (the client's deadline should pass first). */
  delayMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export type FakeKind = 'serper' | 'serpapi';

export class FakeSearchApi {
  readonly requests: RecordedRequest[] = [];
  /** Request shape violations seen; a test asserts it stays empty. */
  readonly problems: string[] = [];
  /** Results per query `q`, in Google's order. */
  readonly results = new Map<string, FakeResult[]>();
  readonly script: Scripted[] = [];
  /** SerpApi's `search_information.total_results` (Google's estimate). */
  estimate = 1_230_000;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly wakers = new Set<() => void>();

  private constructor(
    readonly kind: FakeKind,
    readonly apiKey: string,
    private readonly server: Server,
  ) {}

  static async start(kind: FakeKind, apiKey: string): Promise<FakeSearchApi> {
    const holder: { fake?: FakeSearchApi } = {};
    const server = createServer((req, res) => {
      void holder.fake?.handle(req, res);
    });
    const fake = new FakeSearchApi(kind, apiKey, server);
    holder.fake = fake;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return fake;
  }

  get baseUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const wake of this.wakers) wake();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const recorded = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    this.requests.push(recorded);
    const scripted = this.script.shift();
    if (scripted) {
      if (scripted.delayMs) await this.delay(scripted.delayMs);
      if (res.destroyed) return;
      res.writeHead(scripted.status, { 'content-type': 'application/json; charset=utf-8', ...scripted.headers });
      res.end(scripted.body);
      return;
    }
    const [status, body] = this.kind === 'serper' ? this.serper(recorded) : this.serpapi(recorded);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }

  /** Waits `ms`, or less when the fake is closed (no timer outlives a test). */
  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.timers.delete(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.timers.add(timer);
      this.wakers.add(wake);
    });
  }

  private problem(text: string): void {
    this.problems.push(text);
  }

  /** POST /search, X-API-KEY, JSON {q, num, page}; organic positions count within the page. */
  private serper(r: RecordedRequest): [number, unknown] {
    if (r.method !== 'POST' || r.path !== '/search') {
      this.problem(`serper: ${r.method} ${r.path}`);
      return [404, { message: 'Not found', statusCode: 404 }];
    }
    if (r.headers['x-api-key'] !== this.apiKey) {
      this.problem('serper: wrong or missing X-API-KEY');
      return [403, { message: 'Unauthorized.', statusCode: 403 }];
    }
    if (!String(r.headers['content-type']).startsWith('application/json')) this.problem('serper: content-type is not JSON');
    let body: unknown;
    try {
      body = JSON.parse(r.body);
    } catch {
      this.problem('serper: body is not JSON');
      return [400, { message: 'Bad Request', statusCode: 400 }];
    }
    const b = body as { q?: unknown; num?: unknown; page?: unknown };
    const keys = Object.keys(body as object).sort().join(',');
    if (keys !== 'num,page,q') this.problem(`serper: body keys ${keys}`);
    if (typeof b.q !== 'string' || b.q === '') this.problem('serper: q is not a non-empty string');
    if (b.num !== 10) this.problem(`serper: num is ${String(b.num)}`);
    if (!Number.isInteger(b.page) || (b.page as number) < 1) this.problem(`serper: page is ${String(b.page)}`);
    const q = String(b.q);
    const page = Number(b.page);
    const all = this.results.get(q) ?? [];
    const slice = all.slice((page - 1) * 10, page * 10);
    return [
      200,
      {
        searchParameters: { q, type: 'search', num: 10, page, engine: 'google' },
        ...(page === 1 && all.length > 0
          ? { knowledgeGraph: { title: q, type: 'Topic', description: 'A topic.', attributes: {} } }
          : {}),
        organic: slice.map((x, i) => ({
          title: x.title,
          link: x.link,
          ...(x.snippet === undefined ? {} : { snippet: x.snippet }),
          ...(i === 0 ? { sitelinks: [{ title: 'More', link: `${x.link}#more` }], date: 'Mar 3, 2024' } : {}),
          position: i + 1,
        })),
        peopleAlsoAsk: [{ question: `What is ${q}?`, snippet: 'An answer.', title: 'A page', link: 'https://example.org/paa' }],
        relatedSearches: [{ query: `${q} 2024` }],
        credits: 1,
      },
    ];
  }

  /** GET /search.json?engine=google&q&api_key&num&start; positions count across pages. */
  private serpapi(r: RecordedRequest): [number, unknown] {
    if (r.method !== 'GET' || r.path !== '/search.json') {
      this.problem(`serpapi: ${r.method} ${r.path}`);
      return [404, { error: 'Not found' }];
    }
    const p = r.query;
    const names = [...p.keys()].sort().join(',');
    if (names !== 'api_key,engine,num,q,start') this.problem(`serpapi: parameters ${names}`);
    if (p.get('api_key') !== this.apiKey) {
      this.problem('serpapi: wrong or missing api_key');
      return [401, { error: 'Invalid API key. Your API key should be here: https://serpapi.com/manage-api-key' }];
    }
    if (p.get('engine') !== 'google') this.problem(`serpapi: engine ${String(p.get('engine'))}`);
    const q = p.get('q');
    if (!q) return [400, { error: 'Missing query `q` parameter.' }];
    if (p.get('num') !== '10') this.problem(`serpapi: num ${String(p.get('num'))}`);
    const start = Number(p.get('start'));
    if (!Number.isInteger(start) || start < 0 || start % 10 !== 0) this.problem(`serpapi: start ${String(p.get('start'))}`);
    const all = this.results.get(q) ?? [];
    const slice = all.slice(start, start + 10);
    const id = '64c32cfeb68f8bc186aaa013';
    const metadata = {
      id,
      status: 'Success',
      json_endpoint: `https://serpapi.com/searches/d46c933a4a843289/${id}.json`,
      created_at: '2026-11-24 03:00:00 UTC',
      processed_at: '2026-11-24 03:00:00 UTC',
      google_url: `https://www.google.com/search?q=${encodeURIComponent(q)}&oq=${encodeURIComponent(q)}&start=${start}&sourceid=chrome&ie=UTF-8`,
      raw_html_file: `https://serpapi.com/searches/d46c933a4a843289/${id}.html`,
      total_time_taken: 1.11,
    };
    const parameters = { engine: 'google', q, google_domain: 'google.com', num: '10', start, device: 'desktop' };
    if (slice.length === 0) {
      return [
        200,
        {
          search_metadata: metadata,
          search_parameters: parameters,
          search_information: { query_displayed: q, total_results: 0, time_taken_displayed: 0.21, organic_results_state: 'Fully empty' },
          error: "Google hasn't returned any results for this query.",
        },
      ];
    }
    const current = start / 10 + 1;
    const hasNext = start + 10 < all.length;
    const link = (s: number) => `https://serpapi.com/search.json?engine=google&q=${encodeURIComponent(q)}&start=${s}`;
    return [
      200,
      {
        search_metadata: metadata,
        search_parameters: parameters,
        search_information: { query_displayed: q, total_results: this.estimate, time_taken_displayed: 0.78, organic_results_state: 'Results for exact spelling' },
        organic_results: slice.map((x, i) => ({
          position: start + i + 1,
          title: x.title,
          link: x.link,
          redirect_link: `https://www.google.com/url?sa=t&source=web&url=${encodeURIComponent(x.link)}`,
          displayed_link: x.link.replace(/^https?:\/\//, '').replace(/\//g, ' › '),
          favicon: 'https://serpapi.com/searches/favicon.png',
          ...(x.snippet === undefined ? {} : { snippet: x.snippet, snippet_highlighted_words: [q] }),
          ...(x.source === undefined ? {} : { source: x.source }),
        })),
        related_searches: [{ query: `${q} 2024`, link: 'https://www.google.com/search?q=x' }],
        serpapi_pagination: {
          current,
          ...(hasNext ? { next_link: link(start + 10), next: link(start + 10) } : {}),
          other_pages: hasNext ? { [String(current + 1)]: link(start + 10) } : {},
        },
      },
    ];
  }
}

/** `n` plausible results on distinct blog-like hosts ("other" tier): blog0.example.com … */
export function blogResults(n: number, from = 0): FakeResult[] {
  return Array.from({ length: n }, (_, i) => ({
    link: `https://blog${from + i}.example.com/post/${from + i}`,
    title: `Post ${from + i}`,
    snippet: `Some numbers, ${from + i}.`,
  }));
}
