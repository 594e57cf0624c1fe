import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { documentUrl, listDocuments } from '@stats-agent/corpus';
import { readPage, splitSentences } from '@stats-agent/text';
import MiniSearch from 'minisearch';
import { z } from 'zod';
import { dedupeByUrl } from './canonical-url.js';
import { OTHER_TIER, Reputation } from './reputation.js';

export interface SearchHit {
  url: string;
  title: string;
  snippet: string;
  domain: string;
  score: number;
  reputation_tier: string;
  publisher: string;
  publisher_domain: string;
}

interface IndexedDoc {
  id: number;
  path: string;
  title: string;
  text: string;
  publisher: string;
  publisherDomain: string;
}

const manifestSchema = z.array(
  z.object({ path: z.string().min(1), publisher: z.string().max(200).optional(), domain: z.string().max(253).optional() }),
);

/**
 * An optional `index.json` in the corpus folder names each page's publisher and its domain
 * (pages are served on loopback on the publisher's behalf); reputation is judged on that domain.
 */
async function readManifest(dir: string): Promise<Map<string, { publisher: string; domain: string }>> {
  let raw: string;
  try {
    raw = await readFile(join(dir, 'index.json'), 'utf8');
  } catch {
    return new Map();
  }
  const parsed = manifestSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`research: ${join(dir, 'index.json')} is not a corpus manifest: ${parsed.error.issues[0]?.message}`);
  return new Map(parsed.data.map((e) => [e.path, { publisher: e.publisher ?? '', domain: (e.domain ?? '').toLowerCase() }]));
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
    private readonly reputation: Reputation,
  ) {}

  get size(): number {
    return this.docs.size;
  }

  static async build(dir: string, baseUrl: string, reputation: Reputation = new Reputation()): Promise<LocalIndex> {
    const listed = await listDocuments(dir);
    const manifest = await readManifest(dir);
    const docs = new Map<number, IndexedDoc>();
    const ms = new MiniSearch<IndexedDoc>({
      fields: ['title', 'text'],
      storeFields: [],
      processTerm,
      searchOptions: { boost: { title: 2 }, prefix: (t) => t.length > 4, fuzzy: 0 },
    });
    const batch: IndexedDoc[] = [];
    for (const [i, d] of listed.entries()) {
      const body = await readFile(d.absolutePath);
      // PDFs through pdf.js, every other type by its MIME type: the same text the agents read.
      const page = await readPage({ body, text: d.contentType.startsWith('text/') ? body.toString('utf8') : '', contentType: d.contentType });
      const m = manifest.get(d.path);
      const doc = { id: i, path: d.path, title: page.title || d.title, text: page.text, publisher: m?.publisher ?? '', publisherDomain: m?.domain ?? '' };
      docs.set(i, doc);
      batch.push(doc);
    }
    ms.addAll(batch);
    return new LocalIndex(ms, docs, baseUrl, reputation);
  }

  /**
   * Hits for `topic` ranked by relevance × reputation weight; `reputableOnly` drops the "other"
   * tier; `offset`/`limit` page through the same ranking.
   */
  query(topic: string, offset: number, limit: number, reputableOnly = false): { hits: SearchHit[]; total: number } {
    const host = new URL(this.baseUrl).hostname;
    const ranked = this.search_
      .search(topic)
      .map((r) => {
        const doc = this.docs.get(r['id'] as number);
        if (!doc) throw new Error(`research: index out of sync for document ${String(r['id'])}`);
        const tier = this.reputation.tierOf(doc.publisherDomain || host);
        return { doc, tier, score: r.score * tier.weight };
      })
      .filter((r) => !reputableOnly || r.tier.name !== OTHER_TIER)
      .sort((a, b) => b.score - a.score || a.doc.path.localeCompare(b.doc.path));
    const unique = dedupeByUrl(ranked, (r) => documentUrl(this.baseUrl, r.doc.path));
    const terms = topic.toLowerCase().split(/\W+/).filter((t) => processTerm(t) !== null);
    const hits = unique.slice(offset, offset + limit).map(({ doc, tier, score }) => ({
      url: documentUrl(this.baseUrl, doc.path),
      title: doc.title,
      snippet: bestSnippet(doc.text, terms),
      domain: host,
      score: Math.round(score * 1000) / 1000,
      reputation_tier: tier.name,
      publisher: doc.publisher,
      publisher_domain: doc.publisherDomain,
    }));
    return { hits, total: unique.length };
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
