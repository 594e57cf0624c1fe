// Test scaffolding shared by the Serper and SerpApi provider tests.
import assert from 'node:assert/strict';
import type { WebProviderOptions, WebSearchProvider } from '../providers/common.js';
import { SearchProviderError, type SearchErrorCode } from '../providers/provider.js';
import { Reputation } from '../reputation.js';
import { FakeSearchApi } from './fake-search-apis.js';

/**
 * Runs `fn` with a local fake of `kind`'s API expecting `key`, a factory of providers pointed at
 * it (defaults overridable), and the back-off waits they asked for (recorded, not slept).
 */
export async function withWebProvider<P extends WebSearchProvider>(
  kind: 'serper' | 'serpapi',
  key: string,
  Provider: new (opts: WebProviderOptions) => P,
  fn: (fake: FakeSearchApi, make: (over?: Partial<WebProviderOptions>) => P, slept: number[]) => Promise<void>,
): Promise<void> {
  const fake = await FakeSearchApi.start(kind, key);
  const made: P[] = [];
  const slept: number[] = [];
  const make = (over: Partial<WebProviderOptions> = {}): P => {
    const p = new Provider({
      apiKey: () => key,
      baseUrl: fake.baseUrl,
      reputation: new Reputation(),
      maxPages: 5,
      cacheTtlMs: 60_000,
      cacheMaxEntries: 100,
      http: { timeoutMs: 5_000, backoffMs: 1 },
      hooks: {
        sleep: (ms) => {
          slept.push(ms);
          return Promise.resolve();
        },
      },
      ...over,
    });
    made.push(p);
    return p;
  };
  try {
    await fn(fake, make, slept);
  } finally {
    await Promise.all(made.map((p) => p.close()));
    await fake.close();
  }
}

/** Asserts `promise` failed with `code` from `provider`, named itself, and leaked `key` nowhere. */
export async function rejectsWithProviderError(
  promise: Promise<unknown>,
  provider: string,
  key: string,
  code: SearchErrorCode,
  message: RegExp,
): Promise<SearchProviderError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof SearchProviderError, `expected a SearchProviderError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.provider, provider);
  assert.match(caught.message, new RegExp(`^${provider}: `));
  assert.match(caught.message, message);
  for (const text of [caught.message, caught.stack ?? '', JSON.stringify(caught), String(caught.cause)]) {
    assert.ok(!text.includes(key), 'the API key must not appear in the error');
  }
  return caught;
}
