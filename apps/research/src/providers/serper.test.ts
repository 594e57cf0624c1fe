import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reputation } from '../reputation.js';
import { FakeSearchApi, blogResults } from '../testing/fake-search-apis.js';
import { rejectsWithProviderError, withWebProvider } from '../testing/providers.js';
import type { SearchErrorCode, SearchProviderError } from './provider.js';
import { SerperProvider } from './serper.js';

const KEY = 'serper-test-key-5f3a9c1e7b2d4068';

const withSerper = (fn: Parameters<typeof withWebProvider<SerperProvider>>[3]): Promise<void> => withWebProvider('serper', KEY, SerperProvider, fn);
const rejectsWith = (promise: Promise<unknown>, code: SearchErrorCode, message: RegExp): Promise<SearchProviderError> =>
  rejectsWithProviderError(promise, 'serper', KEY, code, message);

/** A window that one provider page can settle (a larger one fetches pages in parallel). */
const opts = { offset: 0, limit: 3, reputableOnly: false };

test('serper: sends POST /search with X-API-KEY and {q, num, page}; normalizes results', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make) => {
    fake.results.set('renewable energy', [
      { link: 'https://www.iea.org/reports/renewables-2024', title: '  Renewables\n 2024  ', snippet: 'Capacity grew by 50%.' },
      { link: 'ftp://files.example.com/data.csv', title: 'FTP' },
      { link: 'javascript:alert(1)', title: 'Script' },
      { link: 'not a url', title: 'Broken' },
      { link: 'https://user:secret@blog.example.com/a', title: 'Credentials' },
      { link: 'http://blog.example.com/Post?utm_source=news', title: 'A blog post' },
      { link: 'https://www.blog.example.com/Post/', title: 'Same post again' },
      { link: 'https://stats.example.net/no-snippet', title: 'No snippet' },
    ]);
    const res = await make().search('  renewable   energy ', opts);
    assert.deepEqual(fake.problems, []);
    assert.equal(fake.requests[0]?.method, 'POST');
    assert.equal(fake.requests[0]?.path, '/search');
    assert.equal(fake.requests[0]?.headers['x-api-key'], KEY, 'the key is sent in X-API-KEY');
    assert.deepEqual(JSON.parse(fake.requests[0]?.body ?? ''), { q: 'renewable energy', num: 10, page: 1 });
    assert.deepEqual(JSON.parse(fake.requests[1]?.body ?? ''), { q: 'renewable energy', num: 10, page: 2 }, 'the list ends at an empty page');
    assert.deepEqual(
      res.hits.map((h) => [h.url, h.domain, h.title, h.snippet, h.reputation_tier, h.position]),
      [
        ['https://www.iea.org/reports/renewables-2024', 'iea.org', 'Renewables 2024', 'Capacity grew by 50%.', 'intergovernmental', 1],
        ['http://blog.example.com/Post?utm_source=news', 'blog.example.com', 'A blog post', '', 'other', 2],
        ['https://stats.example.net/no-snippet', 'stats.example.net', 'No snippet', '', 'other', 3],
      ],
    );
    assert.equal(res.total, 3, 'the list was read to its end: the total is exact');
    assert.ok(res.hits.every((h) => h.score > 0 && h.publisher_domain === ''));
  });
});

test('serper: windows asked round after round equal one big window; each provider page is fetched once', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make) => {
    fake.results.set('inflation', blogResults(35));
    const provider = make();
    const rounds = [];
    for (let offset = 0; offset < 40; offset += 8) rounds.push(await provider.search('inflation', { offset, limit: 8, reputableOnly: false }));
    const pages = fake.requests.map((r) => (JSON.parse(r.body) as { page: number }).page);
    assert.deepEqual([...pages].sort((a, b) => a - b), [1, 2, 3, 4, 5], 'every page is fetched once (cached), up to the empty one');
    assert.ok(rounds[0] && rounds[0].total >= 35 && rounds[0].total <= 50, 'before the end, the total is an upper bound within the page bound');
    assert.equal(rounds.at(-1)?.total, 35, 'at the end, the total is exact');
    const paged = rounds.flatMap((r) => r.hits);
    const whole = await make().search('inflation', { offset: 0, limit: 40, reputableOnly: false });
    assert.deepEqual(paged.map((h) => [h.url, h.position]), whole.hits.map((h) => [h.url, h.position]));
    assert.equal(new Set(paged.map((h) => h.url)).size, 35);
    assert.deepEqual(paged.map((h) => h.position), Array.from({ length: 35 }, (_, i) => i + 1));
  });
});

test('serper: at most SEARCH_MAX_PAGES pages are read; the list ends there for every window', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make) => {
    fake.results.set('gdp', blogResults(60));
    const provider = make({ maxPages: 2 });
    const res = await provider.search('gdp', { offset: 0, limit: 30, reputableOnly: false });
    assert.equal(fake.requests.length, 2);
    assert.equal(res.hits.length, 20);
    assert.equal(res.total, 20);
    const next = await provider.search('gdp', { offset: 20, limit: 10, reputableOnly: false });
    assert.deepEqual(next, { hits: [], total: 20 });
  });
});

test('serper: a document found on two pages is returned once, at its best rank', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make) => {
    const results = blogResults(15);
    results[2] = { link: 'https://www.example.org/data/gho', title: 'Data' };
    results[12] = { link: 'http://example.org/data/gho/?utm_campaign=x#top', title: 'Data again' };
    fake.results.set('life expectancy', results);
    const res = await make().search('life expectancy', { offset: 0, limit: 20, reputableOnly: false });
    const copies = res.hits.filter((h) => h.domain === 'example.org');
    assert.equal(copies.length, 1);
    assert.equal(copies[0]?.title, 'Data');
    assert.equal(res.total, 14);
  });
});

test('serper: reputation re-ranks near positions, not distant ones', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make) => {
    const results = blogResults(20);
    results[3] = { link: 'https://www.who.int/data/gho/life-expectancy', title: 'WHO' };
    results[14] = { link: 'https://www.cdc.gov/nchs/fastats/life-expectancy.htm', title: 'CDC' };
    fake.results.set('life expectancy', results);
    const res = await make().search('life expectancy', { offset: 0, limit: 20, reputableOnly: false });
    assert.equal(res.hits[0]?.domain, 'who.int', 'an intergovernmental page at rank 4 outranks a blog at rank 1');
    assert.equal(res.hits[0]?.reputation_tier, 'intergovernmental');
    assert.equal(res.hits[1]?.url, 'https://blog0.example.com/post/0');
    const cdc = res.hits.findIndex((h) => h.domain === 'cdc.gov');
    const blog1 = res.hits.findIndex((h) => h.url === 'https://blog1.example.com/post/1');
    const blog9 = res.hits.findIndex((h) => h.url === 'https://blog9.example.com/post/9');
    assert.ok(cdc > blog1, 'a government page at rank 15 stays below a blog at rank 2');
    assert.ok(cdc < blog9, 'but climbs above a blog at rank 10');
    const scores = res.hits.map((h) => h.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'scores fall with position');
  });
});

test('serper: reputable_only keeps tiered publishers only', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make) => {
    const results = blogResults(12);
    results[5] = { link: 'https://www.ons.gov.uk/economy/inflation', title: 'ONS' };
    results[9] = { link: 'https://ourworldindata.org/energy', title: 'OWID' };
    results[11] = { link: 'https://www.harvard.edu/study', title: 'Harvard' };
    fake.results.set('energy', results);
    const res = await make().search('energy', { offset: 0, limit: 10, reputableOnly: true });
    assert.deepEqual(res.hits.map((h) => h.domain), ['ons.gov.uk', 'ourworldindata.org', 'harvard.edu']);
    assert.ok(res.hits.every((h) => h.reputation_tier !== 'other'));
    assert.equal(res.total, 3);
  });
});

test('serper: a rejected key is SEARCH_ERR_KEY_REJECTED naming the variable, not retried', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make) => {
    const provider = make({ apiKey: () => `${KEY}-wrong` });
    const err = await rejectsWith(provider.search('gdp', opts), 'SEARCH_ERR_KEY_REJECTED', /API key rejected \(HTTP 403\); check SERPER_API_KEY/);
    assert.ok(!err.message.includes(`${KEY}-wrong`));
    assert.equal(fake.requests.length, 1);
  });
});

test('serper: the key is read at every call (a rotated secret is used at once)', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make) => {
    let key = 'old-key-that-was-rotated';
    fake.results.set('gdp', blogResults(3));
    const provider = make({ apiKey: () => key });
    await rejectsWith(provider.search('gdp', opts), 'SEARCH_ERR_KEY_REJECTED', /HTTP 403/);
    key = KEY;
    const res = await provider.search('gdp', opts);
    assert.equal(res.hits.length, 3);
    assert.equal(fake.requests.at(-1)?.headers['x-api-key'], KEY);
  });
});

test('serper: an empty key fails without a request', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make) => {
    await rejectsWith(make({ apiKey: () => '' }).search('gdp', opts), 'SEARCH_ERR_KEY_REJECTED', /no API key \(SERPER_API_KEY/);
    assert.equal(fake.requests.length, 0);
  });
});

test('serper: out of credits (400 "Not enough credits") is a quota error, not retried', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make) => {
    fake.script.push({ status: 400, body: JSON.stringify({ message: 'Not enough credits', statusCode: 400 }) });
    await rejectsWith(make().search('gdp', opts), 'SEARCH_ERR_QUOTA', /^serper: quota exhausted \(HTTP 400: Not enough credits\)$/);
    assert.equal(fake.requests.length, 1);
  });
});

test('serper: 429 is retried twice with backoff, then a quota error', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make, slept) => {
    for (let i = 0; i < 3; i++) fake.script.push({ status: 429, body: JSON.stringify({ message: 'Too many requests', statusCode: 429 }) });
    await rejectsWith(make().search('gdp', opts), 'SEARCH_ERR_QUOTA', /quota or rate limit exhausted \(HTTP 429\)/);
    assert.equal(fake.requests.length, 3);
    assert.equal(slept.length, 2);
  });
});

test('serper: Retry-After is honoured up to the cap; a longer one fails at once', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make, slept) => {
    fake.results.set('gdp', blogResults(3));
    fake.script.push({ status: 429, body: '{"message":"Too many requests","statusCode":429}', headers: { 'retry-after': '2' } });
    const res = await make().search('gdp', opts);
    assert.equal(res.hits.length, 3);
    assert.ok((slept[0] ?? 0) >= 2000, `waited ${slept[0]} ms for Retry-After: 2`);

    slept.length = 0;
    fake.requests.length = 0;
    fake.script.push({ status: 429, body: '{"message":"Too many requests","statusCode":429}', headers: { 'retry-after': '120' } });
    await rejectsWith(make().search('cpi', opts), 'SEARCH_ERR_QUOTA', /retry after 120 s/);
    assert.equal(fake.requests.length, 1);
    assert.deepEqual(slept, []);
  });
});

test('serper: a 5xx is retried and the retry succeeds', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make) => {
    fake.results.set('gdp', blogResults(3));
    fake.script.push({ status: 503, body: '<html>Service Unavailable</html>' });
    const res = await make().search('gdp', opts);
    assert.equal(res.hits.length, 3);
    assert.equal(fake.requests.length, 3, 'one failed attempt, then pages 1 and 2');
  });
});

test('serper: persistent 5xx is SEARCH_ERR_UNAVAILABLE after three attempts', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make) => {
    for (let i = 0; i < 3; i++) fake.script.push({ status: 502, body: 'Bad Gateway' });
    await rejectsWith(make().search('gdp', opts), 'SEARCH_ERR_UNAVAILABLE', /server error \(HTTP 502\)/);
    assert.equal(fake.requests.length, 3);
  });
});

test('serper: malformed JSON and an unexpected shape are SEARCH_ERR_BAD_RESPONSE', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make) => {
    fake.script.push({ status: 200, body: '{"searchParameters": {"q": "gdp"}, "organic": [' });
    await rejectsWith(make().search('gdp', opts), 'SEARCH_ERR_BAD_RESPONSE', /malformed JSON/);
    fake.script.push({ status: 200, body: JSON.stringify({ searchParameters: { q: 'gdp' }, organic: 'none' }) });
    await rejectsWith(make().search('gdp', opts), 'SEARCH_ERR_BAD_RESPONSE', /unexpected response shape \(organic: /);
    fake.script.push({ status: 200, body: JSON.stringify({ searchParameters: { q: 'gdp' }, organic: [{ title: 'no link' }] }) });
    await rejectsWith(make().search('gdp', opts), 'SEARCH_ERR_BAD_RESPONSE', /no organic result has a link/);
    fake.script.push({ status: 200, body: JSON.stringify({ message: 'Unauthorized.', statusCode: 403 }) });
    await rejectsWith(make().search('gdp', opts), 'SEARCH_ERR_BAD_RESPONSE', /searchParameters/);
  });
});

test('serper: a response larger than the cap is refused', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make) => {
    fake.results.set('gdp', blogResults(10).map((r) => ({ ...r, snippet: 'x'.repeat(500) })));
    await rejectsWith(make({ http: { maxBytes: 2000, backoffMs: 1 } }).search('gdp', opts), 'SEARCH_ERR_BAD_RESPONSE', /larger than 2000 bytes/);
  });
});

test('serper: a server slower than the deadline is SEARCH_ERR_TIMEOUT (each attempt has its deadline)', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make) => {
    for (let i = 0; i < 3; i++) fake.script.push({ status: 200, body: '{}', delayMs: 4_000 });
    await rejectsWith(make({ http: { timeoutMs: 150, backoffMs: 1 } }).search('gdp', opts), 'SEARCH_ERR_TIMEOUT', /no complete answer within 150 ms/);
    assert.equal(fake.requests.length, 3);
  });
});

test('serper: the caller cancelling stops the call with SEARCH_ERR_CANCELLED', { timeout: 10_000 }, async () => {
  await withSerper(async (fake, make) => {
    fake.script.push({ status: 200, body: '{}', delayMs: 4_000 });
    const controller = new AbortController();
    const pending = make().search('gdp', { ...opts, signal: controller.signal });
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error('deadline exceeded'));
    await rejectsWith(pending, 'SEARCH_ERR_CANCELLED', /cancelled by the caller/);
    assert.equal(fake.requests.length, 1);
  });
});

test('serper: a refused connection is SEARCH_ERR_UNAVAILABLE with the error code only', { timeout: 10_000 }, async () => {
  const fake = await FakeSearchApi.start('serper', KEY);
  const baseUrl = fake.baseUrl;
  await fake.close();
  const provider = new SerperProvider({
    apiKey: () => KEY,
    baseUrl,
    reputation: new Reputation(),
    maxPages: 1,
    cacheTtlMs: 1000,
    cacheMaxEntries: 10,
    http: { timeoutMs: 2000, backoffMs: 1, maxRetries: 1 },
  });
  try {
    await rejectsWith(provider.search('gdp', opts), 'SEARCH_ERR_UNAVAILABLE', /^serper: network error \(ECONNREFUSED\)$/);
  } finally {
    await provider.close();
  }
});
