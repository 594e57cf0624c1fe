import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blogResults } from '../testing/fake-search-apis.js';
import { rejectsWithProviderError, withWebProvider } from '../testing/providers.js';
import type { SearchErrorCode, SearchProviderError } from './provider.js';
import { SerpApiProvider } from './serpapi.js';

const KEY = 'serpapi-test-key-0d9e8f7a6b5c4d3e';

const withSerpApi = (fn: Parameters<typeof withWebProvider<SerpApiProvider>>[3]): Promise<void> => withWebProvider('serpapi', KEY, SerpApiProvider, fn);
const rejectsWith = (promise: Promise<unknown>, code: SearchErrorCode, message: RegExp): Promise<SearchProviderError> =>
  rejectsWithProviderError(promise, 'serpapi', KEY, code, message);

/** A window that one provider page can settle (a larger one fetches pages in parallel). */
const opts = { offset: 0, limit: 3, reputableOnly: false };

test('serpapi: sends GET /search.json with engine, q, api_key, num and start; normalizes results', { timeout: 10_000 }, async () => {
  await withSerpApi(async (fake, make) => {
    const results = [
      { link: 'https://www.worldbank.org/en/topic/urbandevelopment', title: 'Urban Development', snippet: '56% of people live in cities.', source: 'World Bank' },
      { link: 'https://en.wikipedia.org/wiki/Urbanization', title: 'Urbanization - Wikipedia', snippet: 'Urbanization is…', source: 'Wikipedia' },
      { link: 'mailto:someone@example.com', title: 'Mail' },
      ...blogResults(12),
    ];
    fake.results.set('urban population growth', results);
    const res = await make().search('urban population growth', { offset: 0, limit: 5, reputableOnly: false });
    assert.deepEqual(fake.problems, []);
    const first = fake.requests[0];
    assert.equal(first?.method, 'GET');
    assert.equal(first?.path, '/search.json');
    assert.equal(first?.query.get('engine'), 'google');
    assert.equal(first?.query.get('q'), 'urban population growth');
    assert.equal(first?.query.get('api_key'), KEY, 'the key is sent as api_key');
    assert.equal(first?.query.get('num'), '10');
    assert.deepEqual(fake.requests.map((r) => r.query.get('start')).sort(), ['0', '10'], 'pages are asked for by result offset');
    assert.deepEqual(
      res.hits.slice(0, 2).map((h) => [h.url, h.domain, h.publisher, h.reputation_tier, h.position]),
      [
        ['https://www.worldbank.org/en/topic/urbandevelopment', 'worldbank.org', 'World Bank', 'intergovernmental', 1],
        ['https://en.wikipedia.org/wiki/Urbanization', 'en.wikipedia.org', 'Wikipedia', 'other', 2],
      ],
    );
    assert.ok(!res.hits.some((h) => h.url.startsWith('mailto:')));
    assert.equal(res.hits.length, 5);
    assert.equal(res.total, 14, 'the last page has no serpapi_pagination.next: the total is exact');
  });
});

test('serpapi: before the end, total is the smaller of Google\'s estimate and the page bound', { timeout: 10_000 }, async () => {
  await withSerpApi(async (fake, make) => {
    fake.results.set('gdp', blogResults(45));
    const res = await make({ maxPages: 4 }).search('gdp', { offset: 0, limit: 8, reputableOnly: false });
    assert.equal(res.hits.length, 8);
    assert.equal(res.total, 40, 'Google says 1,230,000; at most 4 pages of 10 can be paged through');
    fake.estimate = 25;
    const small = await make({ maxPages: 4 }).search('gdp', { offset: 0, limit: 8, reputableOnly: false });
    assert.equal(small.total, 25);
  });
});

test('serpapi: windows asked round after round equal one big window', { timeout: 10_000 }, async () => {
  await withSerpApi(async (fake, make) => {
    const results = blogResults(30);
    results[3] = { link: 'https://www.ons.gov.uk/x', title: 'ONS' };
    results[18] = { link: 'https://www.oecd.org/y', title: 'OECD' };
    results[25] = { link: 'https://blog5.example.com/post/5?utm_source=z', title: 'duplicate' };
    fake.results.set('inflation', results);
    const provider = make();
    const paged = [];
    for (let offset = 0; offset < 32; offset += 8) paged.push(...(await provider.search('inflation', { offset, limit: 8, reputableOnly: false })).hits);
    const starts = fake.requests.map((r) => Number(r.query.get('start')));
    assert.equal(new Set(starts).size, starts.length, 'no page is fetched twice');
    const whole = await make().search('inflation', { offset: 0, limit: 32, reputableOnly: false });
    assert.deepEqual(paged.map((h) => h.url), whole.hits.map((h) => h.url));
    assert.equal(paged.length, 29, 'one duplicate dropped');
    assert.equal(paged[0]?.domain, 'ons.gov.uk', 'the statistics office at rank 4 outranks the blogs above it');
  });
});

test('serpapi: "no results" in an HTTP 200 is an empty list, not a failure', { timeout: 10_000 }, async () => {
  await withSerpApi(async (fake, make) => {
    const res = await make().search('qwxzv nothing matches', opts);
    assert.deepEqual(res, { hits: [], total: 0 });
    assert.equal(fake.requests.length, 1);
  });
});

test('serpapi: an invalid key (401) is SEARCH_ERR_KEY_REJECTED naming SERPAPI_API_KEY', { timeout: 10_000 }, async () => {
  await withSerpApi(async (fake, make) => {
    const wrong = `${KEY}-x`;
    const err = await rejectsWith(make({ apiKey: () => wrong }).search('gdp', opts), 'SEARCH_ERR_KEY_REJECTED', /API key rejected \(HTTP 401\); check SERPAPI_API_KEY/);
    assert.ok(!err.message.includes(wrong));
    assert.equal(fake.requests.length, 1);
  });
});

test('serpapi: "run out of searches" (429 or 200) is a quota error, never retried', { timeout: 10_000 }, async () => {
  await withSerpApi(async (fake, make, slept) => {
    fake.script.push({ status: 429, body: JSON.stringify({ error: 'Your account has run out of searches.' }) });
    await rejectsWith(make().search('gdp', opts), 'SEARCH_ERR_QUOTA', /^serpapi: quota exhausted \(HTTP 429\)$/);
    assert.equal(fake.requests.length, 1);
    assert.deepEqual(slept, []);
    fake.script.push({ status: 200, body: JSON.stringify({ error: 'Your account has run out of searches.' }) });
    await rejectsWith(make().search('gdp', opts), 'SEARCH_ERR_QUOTA', /quota exhausted \(HTTP 200: Your account has run out of searches\.\)/);
  });
});

test('serpapi: the hourly throughput limit (429) is retried, then SEARCH_ERR_RATE_LIMITED', { timeout: 10_000 }, async () => {
  await withSerpApi(async (fake, make, slept) => {
    const body = JSON.stringify({ error: 'The number of requests sent using this API key exceeds the hourly throughput limit.' });
    for (let i = 0; i < 3; i++) fake.script.push({ status: 429, body });
    await rejectsWith(make().search('gdp', opts), 'SEARCH_ERR_RATE_LIMITED', /rate limit exceeded \(HTTP 429\)/);
    assert.equal(fake.requests.length, 3);
    assert.equal(slept.length, 2);
  });
});

test('serpapi: a failed search (503, status Error) is retried and the retry succeeds', { timeout: 10_000 }, async () => {
  await withSerpApi(async (fake, make) => {
    fake.results.set('gdp', blogResults(4));
    fake.script.push({
      status: 503,
      body: JSON.stringify({ search_metadata: { id: '64c3', status: 'Error' }, error: "We couldn't get valid results for this search. Please try again later." }),
    });
    const res = await make().search('gdp', opts);
    assert.equal(res.hits.length, 3);
    assert.equal(res.total, 4);
    assert.equal(fake.requests.length, 2);
  });
});

test('serpapi: the key is redacted from a provider message that echoes the request', { timeout: 10_000 }, async () => {
  await withSerpApi(async (fake, make) => {
    const body = JSON.stringify({ error: `Internal error for https://serpapi.com/search.json?engine=google&q=gdp&api_key=${KEY}` });
    for (let i = 0; i < 3; i++) fake.script.push({ status: 500, body });
    const err = await rejectsWith(make().search('gdp', opts), 'SEARCH_ERR_UNAVAILABLE', /server error \(HTTP 500: Internal error for .*api_key=\[redacted\]/);
    assert.equal(err.httpStatus, 500);
  });
});

test('serpapi: malformed JSON and an unexpected shape are SEARCH_ERR_BAD_RESPONSE', { timeout: 10_000 }, async () => {
  await withSerpApi(async (fake, make) => {
    fake.script.push({ status: 200, body: '<!doctype html><title>Oops</title>' });
    await rejectsWith(make().search('gdp', opts), 'SEARCH_ERR_BAD_RESPONSE', /malformed JSON/);
    fake.script.push({ status: 200, body: JSON.stringify({ organic_results: { position: 1 } }) });
    await rejectsWith(make().search('gdp', opts), 'SEARCH_ERR_BAD_RESPONSE', /unexpected response shape \(organic_results: /);
    fake.script.push({ status: 200, body: JSON.stringify([1, 2, 3]) });
    await rejectsWith(make().search('gdp', opts), 'SEARCH_ERR_BAD_RESPONSE', /unexpected response shape/);
  });
});

test('serpapi: a server slower than the deadline is SEARCH_ERR_TIMEOUT', { timeout: 10_000 }, async () => {
  await withSerpApi(async (fake, make) => {
    for (let i = 0; i < 3; i++) fake.script.push({ status: 200, body: '{}', delayMs: 4_000 });
    await rejectsWith(make({ http: { timeoutMs: 150, backoffMs: 1 } }).search('gdp', opts), 'SEARCH_ERR_TIMEOUT', /within 150 ms/);
  });
});
