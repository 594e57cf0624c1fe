import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reputation, type Tier } from '../reputation.js';
import { SearchProviderError } from './provider.js';
import { RankedPages, positionalRelevance, type ProviderPage, type RawResult } from './ranked-pages.js';

const TIERS: Tier[] = [
  { name: 'government', weight: 1.5, domains: ['.gov'] },
  { name: 'academic', weight: 1.3, domains: ['.edu'] },
  { name: 'spam', weight: 0.5, domains: ['spam.example'] },
];

/** A provider over `pages` (each an array of results) that records which pages were read. */
function pager(pages: RawResult[][], opts: { maxPages?: number; tiers?: Tier[] } = {}): { ranked: RankedPages; read: number[] } {
  const read: number[] = [];
  const ranked = new RankedPages({
    pageSize: 10,
    maxPages: opts.maxPages ?? 10,
    reputation: new Reputation(opts.tiers ?? TIERS),
    cacheTtlMs: 60_000,
    cacheMaxEntries: 100,
    fetchPage: (_q, page): Promise<ProviderPage> => {
      read.push(page);
      const results = pages[page] ?? [];
      return Promise.resolve({ results, more: page + 1 < pages.length });
    },
  });
  return { ranked, read };
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('ranking: positional relevance halves one page down; tier weights move sources up a few ranks', { timeout: 5000 }, () => {
  assert.equal(positionalRelevance(1), 1);
  assert.equal(positionalRelevance(11), 0.5);
  assert.equal(1.5 * positionalRelevance(6), positionalRelevance(1), 'a government page at rank 6 ties a blog at rank 1');
  assert.ok(1.4 * positionalRelevance(4) > positionalRelevance(1), 'an intergovernmental page at rank 4 outranks it');
  assert.ok(1.5 * positionalRelevance(20) < positionalRelevance(5), 'but not from two pages down');
});

test('ranking: windows of any size, concatenated, are the whole list — for random pages and tiers', { timeout: 20_000 }, async () => {
  const random = rng(20261124);
  const hosts = ['blog.example', 'agency.gov', 'uni.edu', 'spam.example', 'news.example'];
  for (let scenario = 0; scenario < 60; scenario++) {
    const pageCount = 1 + Math.floor(random() * 6);
    const pages: RawResult[][] = [];
    let n = 0;
    for (let p = 0; p < pageCount; p++) {
      const size = 1 + Math.floor(random() * 10);
      pages.push(
        Array.from({ length: size }, () => {
          n++;
          const host = hosts[Math.floor(random() * hosts.length)] ?? 'x.example';
          // Some results repeat an earlier document under another spelling of its URL.
          const doc = random() < 0.1 && n > 3 ? Math.floor(random() * (n - 1)) : n;
          return { link: `https://${random() < 0.5 ? 'www.' : ''}${host}/doc/${doc}`, title: `Doc ${doc}` };
        }),
      );
    }
    const maxPages = 1 + Math.floor(random() * 6);
    const reputableOnly = random() < 0.3;
    const limit = 1 + Math.floor(random() * 9);
    const whole = await pager(pages, { maxPages }).ranked.search('t', { offset: 0, limit: 200, reputableOnly });
    const { ranked } = pager(pages, { maxPages });
    const paged = [];
    for (let offset = 0; offset <= whole.hits.length; offset += limit) {
      const res = await ranked.search('t', { offset, limit, reputableOnly });
      assert.ok(res.total >= offset + res.hits.length, `scenario ${scenario}: total ${res.total} below what was returned`);
      paged.push(...res.hits);
    }
    const label = `scenario ${scenario} (pages ${pages.map((p) => p.length).join('/')}, maxPages ${maxPages}, limit ${limit}, reputableOnly ${reputableOnly})`;
    assert.deepEqual(paged.map((h) => [h.url, h.position]), whole.hits.map((h) => [h.url, h.position]), label);
    assert.equal(whole.total, whole.hits.length, `${label}: a list read to its end has an exact total`);
    const scores = whole.hits.map((h) => h.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a), label);
  }
});

test('ranking: only the pages needed to settle the window are read', { timeout: 5000 }, async () => {
  const page = (p: number): RawResult[] => Array.from({ length: 10 }, (_, i) => ({ link: `https://b${p * 10 + i}.example/`, title: 't' }));
  const { ranked, read } = pager([page(0), page(1), page(2), page(3), page(4)]);
  const first = await ranked.search('t', { offset: 0, limit: 8, reputableOnly: false });
  assert.deepEqual(read, [0, 1], 'a government page from page 2 could still outrank rank 8: page 2 is read too');
  assert.equal(first.hits.length, 8);
  assert.equal(first.total, 100, 'not at the end: an upper bound (10 pages of 10)');
  await ranked.search('T', { offset: 8, limit: 8, reputableOnly: false });
  assert.deepEqual(read, [0, 1, 2], 'pages already read come from the cache, whatever the topic\'s case');
  await ranked.search('other topic', { offset: 0, limit: 1, reputableOnly: false });
  assert.deepEqual(read, [0, 1, 2, 0]);
});

test('ranking: a failing page fails the search and is not cached', { timeout: 5000 }, async () => {
  let fail = true;
  const read: number[] = [];
  const ranked = new RankedPages({
    pageSize: 10,
    maxPages: 3,
    reputation: new Reputation(TIERS),
    cacheTtlMs: 60_000,
    cacheMaxEntries: 10,
    fetchPage: (_q, page) => {
      read.push(page);
      if (page === 1 && fail) return Promise.reject(new SearchProviderError('fake', 'SEARCH_ERR_UNAVAILABLE', 'server error (HTTP 503)', 503));
      return Promise.resolve({ results: [{ link: `https://a.example/${page}` }], more: page < 2 });
    },
  });
  await assert.rejects(ranked.search('t', { offset: 0, limit: 5, reputableOnly: false }), /fake: server error/);
  fail = false;
  const res = await ranked.search('t', { offset: 0, limit: 5, reputableOnly: false });
  assert.equal(res.hits.length, 3);
  assert.deepEqual(read, [0, 1, 1, 2]);
});

test('ranking: the pages a window needs at the least are fetched in parallel', { timeout: 5000 }, async () => {
  let inFlight = 0;
  let most = 0;
  const ranked = new RankedPages({
    pageSize: 10,
    maxPages: 5,
    reputation: new Reputation(TIERS),
    cacheTtlMs: 60_000,
    cacheMaxEntries: 10,
    fetchPage: async (_q, page) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return { results: Array.from({ length: 10 }, (_, i) => ({ link: `https://b${page * 10 + i}.example/` })), more: true };
    },
  });
  const res = await ranked.search('t', { offset: 0, limit: 8, reputableOnly: false });
  assert.equal(res.hits.length, 8);
  assert.equal(most, 2, 'pages 1 and 2 at once');
});
