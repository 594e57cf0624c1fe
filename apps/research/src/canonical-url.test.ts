import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalKey, dedupeByUrl } from './canonical-url.js';

test('variants of one document share a key; different documents do not', { timeout: 5000 }, () => {
  const same = [
    'https://www.Stats.example/report/?utm_source=x&b=2&a=1#top',
    'http://stats.example:80/report?a=1&b=2',
    'https://stats.example:443/report/?a=1&b=2&fbclid=abc',
  ];
  const keys = new Set(same.map(canonicalKey));
  assert.equal(keys.size, 1, [...keys].join(' | '));
  assert.notEqual(canonicalKey('https://stats.example/report?a=2'), canonicalKey('https://stats.example/report?a=1'));
  assert.notEqual(canonicalKey('https://stats.example/report'), canonicalKey('https://stats.example/reports'));
  assert.notEqual(canonicalKey('http://127.0.0.1:8010/a.html'), canonicalKey('http://127.0.0.1:8011/a.html'));
});

test('dedupe keeps the best-ranked copy, in order', { timeout: 5000 }, () => {
  const hits = [{ url: 'https://a.example/x?utm_medium=m' }, { url: 'https://b.example/' }, { url: 'https://www.a.example/x' }];
  assert.deepEqual(dedupeByUrl(hits, (h) => h.url).map((h) => h.url), ['https://a.example/x?utm_medium=m', 'https://b.example/']);
});
