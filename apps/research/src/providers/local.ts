import type { LocalIndex } from '../local-index.js';
import type { SearchOptions, SearchProvider, SearchResult } from './provider.js';

/** The local corpus index (BM25+ × reputation, see local-index.ts) as a search provider. */
export class LocalProvider implements SearchProvider {
  readonly name = 'local';

  constructor(private readonly index: LocalIndex) {}

  search(topic: string, opts: SearchOptions): Promise<SearchResult> {
    const { hits, total } = this.index.query(topic, opts.offset, opts.limit, opts.reputableOnly);
    return Promise.resolve({ hits: hits.map((h, i) => ({ ...h, position: opts.offset + i + 1 })), total });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
