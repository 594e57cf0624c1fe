import { readFile } from 'node:fs/promises';
import { documentUrl, listDocuments } from '@stats-agent/corpus';
import { pageText, splitSentences } from '@stats-agent/text';
import MiniSearch from 'minisearch';

export interface SearchHit {
  url: string;
  title: string;
  snippet: string;
  domain: string;
  score: number;
}

interface IndexedDoc {
  id: number;
  path: string;
  title: string;
  text: string;
}

const STOP_WORDS = new Set(
  'a an and are as at be by for from has have in is it its of on or that the to was were will with about into over than this these those what which who how'.split(' '),
);

function processTerm(term: string): string | null {
  const t = term.toLowerCase();
  return t.length < 2 || STOP_WORDS.has(t) ? null : t;
}

/**
 * Full-text index (MiniSearch, BM25+) over a folder of HTML, Markdown and text files, each
 * served at `baseUrl` + its relative path by the corpus server. Built once at start-up.
 */
export class LocalIndex {
  private constructor(
    private readonly search_: MiniSearch<IndexedDoc>,
    private readonly docs: Map<number, IndexedDoc>,
    private readonly baseUrl: string,
  ) {}

  get size(): number {
    return this.docs.size;
  }

  static async build(dir: string, baseUrl: string): Promise<LocalIndex> {
    const listed = await listDocuments(dir);
    const docs = new Map<number, IndexedDoc>();
    const ms = new MiniSearch<IndexedDoc>({
      fields: ['title', 'text'],
      storeFields: [],
      processTerm,
      searchOptions: { boost: { title: 2 }, prefix: (t) => t.length > 4, fuzzy: 0 },
    });
    const batch: IndexedDoc[] = [];
    for (const [i, d] of listed.entries()) {
      const body = await readFile(d.absolutePath, 'utf8');
      const page = pageText(body, d.contentType);
      const doc = { id: i, path: d.path, title: page.title || d.title, text: page.text };
      docs.set(i, doc);
      batch.push(doc);
    }
    ms.addAll(batch);
    return new LocalIndex(ms, docs, baseUrl);
  }

  /** Ranked hits for `topic`; `offset`/`limit` page through the same ranking. */
  query(topic: string, offset: number, limit: number): { hits: SearchHit[]; total: number } {
    const results = this.search_.search(topic);
    const domain = new URL(this.baseUrl).hostname;
    const terms = topic.toLowerCase().split(/\W+/).filter((t) => processTerm(t) !== null);
    const hits = results.slice(offset, offset + limit).map((r) => {
      const doc = this.docs.get(r['id'] as number);
      if (!doc) throw new Error(`research: index out of sync for document ${String(r['id'])}`);
      return {
        url: documentUrl(this.baseUrl, doc.path),
        title: doc.title,
        snippet: bestSnippet(doc.text, terms),
        domain,
        score: Math.round(r.score * 1000) / 1000,
      };
    });
    return { hits, total: results.length };
  }
}

/** The sentence with most topic terms, cut to 240 characters. */
function bestSnippet(text: string, terms: string[]): string {
  let best = '';
  let bestHits = -1;
  for (const s of splitSentences(text).slice(0, 400)) {
    const lower = s.text.toLowerCase();
    const hits = terms.reduce((n, t) => n + (lower.includes(t) ? 1 : 0), 0);
    if (hits > bestHits) {
      best = s.text;
      bestHits = hits;
    }
  }
  return best.length > 240 ? `${best.slice(0, 237)}...` : best;
}
