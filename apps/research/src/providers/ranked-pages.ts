import { TtlCache } from '@stats-agent/runtime';
import { canonicalKey } from '../canonical-url.js';
import { OTHER_TIER, type Reputation } from '../reputation.js';
import type { SearchHit, SearchOptions, SearchResult } from './provider.js';

/** One organic result as a web search API returned it, before normalization. */
export interface RawResult {
  link: string;
  title?: string | undefined;
  snippet?: string | undefined;
  /** The site's name when the provider gives one (SerpApi's `source`). */
  source?: string | undefined;
}

/** One page of a provider's results, in the provider's order. */
export interface ProviderPage {
  results: RawResult[];
  /** False when the provider says there is no further page. */
  more: boolean;
  /** The provider's own estimate of all matching documents, when it gives one. */
  estimatedTotal?: number | undefined;
}

export interface RankedPagesOptions {
  /** Results a provider page holds (Google: 10). */
  pageSize: number;
  /** Provider pages read at most per topic (bounds credits and latency). */
  maxPages: number;
  reputation: Reputation;
  /** Provider pages are cached per topic for this long … */
  cacheTtlMs: number;
  /** … and this many pages at most (least recently used out first). */
  cacheMaxEntries: number;
  /** Fetches page `page` (0-based) of `query`; rejects with a SearchProviderError. */
  fetchPage(query: string, page: number, signal: AbortSignal | undefined): Promise<ProviderPage>;
}

/**
 * Half-life of positional relevance, in ranks: the provider's result at rank r has relevance
 * K / (K + r − 1), so one page (10 ranks) down halves it. A source's score is that relevance ×
 * its reputation tier's weight: a government page (1.5) at rank 6 ties a blog (1) at rank 1, an
 * intergovernmental one (1.4) at rank 4 outranks it.
 */
export const RELEVANCE_HALF_LIFE = 10;

export function positionalRelevance(rank: number): number {
  return RELEVANCE_HALF_LIFE / (RELEVANCE_HALF_LIFE + rank - 1);
}

interface Candidate {
  hit: Omit<SearchHit, 'position'>;
  rank: number;
  score: number;
}

const MAX_URL = 2048;
const MAX_TITLE = 300;
const MAX_SNIPPET = 500;
const MAX_PUBLISHER = 200;
const INT32_MAX = 2 ** 31 - 1;

/**
 * Turns a paged web search API into the agent's ranked, paged source list.
 *
 * Results are normalized (http(s) URLs only, no credentials, domain without "www."),
 * de-duplicated by canonical URL (the best-ranked copy stays), filtered by `reputableOnly`,
 * and re-ranked by relevance × reputation (see {@link RELEVANCE_HALF_LIFE}).
 *
 * Paging is stable: the orchestrator asks for `offset`/`limit` windows round after round, and a
 * window never changes when later provider pages are read. A source's place is final ("settled")
 * once no unread result could outrank it — an unread result has at best the relevance of the
 * next rank times the highest tier weight — so pages are read, in order and cached, until the
 * window is settled, the provider has no more pages, or `maxPages` is reached (the list then
 * ends there for every window alike). The pages a window needs at the least are fetched in
 * parallel (a first window of 8 needs 2 pages with the default tiers).
 */
export class RankedPages {
  private readonly pages: TtlCache<string, ProviderPage>;
  private readonly maxWeight: number;

  constructor(private readonly opts: RankedPagesOptions) {
    if (!Number.isInteger(opts.pageSize) || opts.pageSize < 1) throw new RangeError('RankedPages: pageSize must be a positive integer');
    if (!Number.isInteger(opts.maxPages) || opts.maxPages < 1) throw new RangeError('RankedPages: maxPages must be a positive integer');
    this.pages = new TtlCache({ maxEntries: opts.cacheMaxEntries, ttlMs: opts.cacheTtlMs });
    this.maxWeight = Math.max(1, ...opts.reputation.tiers.map((t) => t.weight));
  }

  async search(topic: string, opts: SearchOptions): Promise<SearchResult> {
    const query = topic.trim().replace(/\s+/g, ' ');
    const want = opts.offset + opts.limit;
    const seen = new Set<string>();
    const candidates: Candidate[] = [];
    let read = 0;
    let exhausted = false;
    let estimate: number | undefined;
    // The pages the window needs at least (were every result valid, kept and of weight ≥ 1)
    // are fetched in parallel; the rest, if any, one by one.
    const needed = Math.min(this.opts.maxPages, Math.ceil((this.maxWeight * (RELEVANCE_HALF_LIFE + want - 1) - RELEVANCE_HALF_LIFE) / this.opts.pageSize));
    if (needed > 1) await Promise.all(Array.from({ length: needed }, (_, page) => this.page(query, page, opts.signal)));
    for (let page = 0; ; page++) {
      if (page >= this.opts.maxPages) {
        exhausted = true;
        break;
      }
      const p = await this.page(query, page, opts.signal);
      estimate = p.estimatedTotal ?? estimate;
      for (const raw of p.results) {
        read++;
        const c = this.candidate(raw, read, opts.reputableOnly);
        if (!c) continue;
        const key = canonicalKey(c.hit.url);
        if (seen.has(key)) continue;
        seen.add(key);
        candidates.push(c);
      }
      if (!p.more || p.results.length === 0) {
        exhausted = true;
        break;
      }
      if (this.settled(candidates, read).length >= want) break;
    }
    const ranked = (exhausted ? candidates : this.settled(candidates, read)).sort(byScore);
    const hits = ranked.slice(opts.offset, want).map((c, i) => ({ ...c.hit, position: opts.offset + i + 1 }));
    let total = candidates.length;
    if (!exhausted) {
      const reachable = this.opts.maxPages * this.opts.pageSize;
      total = Math.max(candidates.length, Math.min(estimate ?? reachable, reachable));
    }
    return { hits, total: Math.min(total, INT32_MAX) };
  }

  /** Drops the cached provider pages of `topic` (compared as `search` compares it); returns how many there were. */
  forget(topic: string): number {
    const query = topic.trim().replace(/\s+/g, ' ').toLowerCase();
    let n = 0;
    for (let page = 0; page < this.opts.maxPages; page++) if (this.pages.delete(`${page}|${query}`)) n++;
    return n;
  }

  /** Candidates whose rank no unread result (rank > `read`) can beat. */
  private settled(candidates: readonly Candidate[], read: number): Candidate[] {
    const bestUnread = this.maxWeight * positionalRelevance(read + 1);
    return candidates.filter((c) => c.score >= bestUnread);
  }

  private async page(query: string, page: number, signal: AbortSignal | undefined): Promise<ProviderPage> {
    const key = `${page}|${query.toLowerCase()}`;
    return this.pages.getOrLoad(key, () => this.opts.fetchPage(query, page, signal));
  }

  private candidate(raw: RawResult, rank: number, reputableOnly: boolean): Candidate | undefined {
    const url = normalizeUrl(raw.link);
    if (!url) return undefined;
    const domain = url.hostname.toLowerCase().replace(/^www\./, '');
    const tier = this.opts.reputation.tierOf(domain);
    if (reputableOnly && tier.name === OTHER_TIER) return undefined;
    const score = tier.weight * positionalRelevance(rank);
    return {
      rank,
      score,
      hit: {
        url: url.href,
        title: clean(raw.title, MAX_TITLE),
        snippet: clean(raw.snippet, MAX_SNIPPET),
        domain,
        score: Math.round(score * 1000) / 1000,
        reputation_tier: tier.name,
        publisher: clean(raw.source, MAX_PUBLISHER),
        publisher_domain: '',
      },
    };
  }
}

function byScore(a: Candidate, b: Candidate): number {
  return b.score - a.score || a.rank - b.rank;
}

/** An absolute http(s) URL without credentials, or undefined. */
export function normalizeUrl(link: string): URL | undefined {
  if (link.length > MAX_URL) return undefined;
  let url: URL;
  try {
    url = new URL(link.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '' || url.hostname === '') return undefined;
  return url;
}

function clean(text: string | undefined, max: number): string {
  const t = (text ?? '').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}
