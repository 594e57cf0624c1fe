import type { ResearchConfig } from '../config.js';
import { LocalIndex } from '../local-index.js';
import type { Reputation } from '../reputation.js';
import { LocalProvider } from './local.js';
import type { SearchProvider } from './provider.js';
import { SerpApiProvider } from './serpapi.js';
import { SerperProvider } from './serper.js';

type ProviderConfig = Pick<
  ResearchConfig,
  | 'SEARCH_PROVIDER'
  | 'SERPER_BASE_URL'
  | 'SERPAPI_BASE_URL'
  | 'SEARCH_TIMEOUT_MS'
  | 'SEARCH_MAX_PAGES'
  | 'SEARCH_CACHE_TTL_MS'
  | 'SEARCH_CACHE_MAX_ENTRIES'
  | 'LOCAL_CORPUS_DIR'
  | 'LOCAL_CORPUS_BASE_URL'
>;

/**
 * The provider SEARCH_PROVIDER selects. `apiKeys` are read at every call (a rotated secret is
 * picked up); only the selected provider's is ever read. The local provider indexes its corpus
 * here (rejects when the folder cannot be read). Close the result at shutdown.
 */
export async function createSearchProvider(
  config: ProviderConfig,
  deps: { reputation: Reputation; apiKeys: { serper: () => string; serpapi: () => string } },
): Promise<SearchProvider> {
  const common = {
    reputation: deps.reputation,
    maxPages: config.SEARCH_MAX_PAGES,
    cacheTtlMs: config.SEARCH_CACHE_TTL_MS,
    cacheMaxEntries: config.SEARCH_CACHE_MAX_ENTRIES,
    http: { timeoutMs: config.SEARCH_TIMEOUT_MS },
  };
  switch (config.SEARCH_PROVIDER) {
    case 'serper':
      return new SerperProvider({ ...common, apiKey: deps.apiKeys.serper, baseUrl: config.SERPER_BASE_URL });
    case 'serpapi':
      return new SerpApiProvider({ ...common, apiKey: deps.apiKeys.serpapi, baseUrl: config.SERPAPI_BASE_URL });
    case 'local':
      return new LocalProvider(await LocalIndex.build(config.LOCAL_CORPUS_DIR, config.LOCAL_CORPUS_BASE_URL, deps.reputation));
  }
}
