import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleCorpusDir } from '@stats-agent/corpus';
import { LocalIndex } from './local-index.js';

const BASE = 'http://127.0.0.1:8010';

test('indexes the sample corpus and ranks the obvious page first', { timeout: 20_000 }, async () => {
  const index = await LocalIndex.build(sampleCorpusDir(), BASE);
  assert.ok(index.size >= 30);
  const { hits, total } = index.query('urban population growth', 0, 5);
  assert.ok(total >= hits.length && hits.length > 0);
  assert.equal(hits[0]?.url, `${BASE}/population/urban-population-growth.html`);
  assert.equal(hits[0]?.domain, '127.0.0.1');
  assert.ok(hits[0]?.title.length);
  assert.match(hits[0]?.snippet ?? '', /urban/i);
  for (let i = 1; i < hits.length; i++) assert.ok((hits[i - 1]?.score ?? 0) >= (hits[i]?.score ?? 0), 'best first');
});

test('pages through one ranking without overlap', { timeout: 20_000 }, async () => {
  const index = await LocalIndex.build(sampleCorpusDir(), BASE);
  const all = index.query('energy', 0, 50).hits.map((h) => h.url);
  const paged = [...index.query('energy', 0, 3).hits, ...index.query('energy', 3, 3).hits].map((h) => h.url);
  assert.deepEqual(paged, all.slice(0, 6));
  assert.deepEqual(index.query('energy', 1000, 5).hits, []);
});

test('a topic of stop words only finds nothing rather than everything', { timeout: 20_000 }, async () => {
  const index = await LocalIndex.build(sampleCorpusDir(), BASE);
  assert.equal(index.query('the of and', 0, 5).total, 0);
});
