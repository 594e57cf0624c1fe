import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleCorpusDir } from '@stats-agent/corpus';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalIndex } from './local-index.js';
import { Reputation, loadTiers } from './reputation.js';

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

test('reputation: tiers weight the ranking, reputable_only drops "other", the manifest names publishers', { timeout: 20_000 }, async () => {
  const tiers = await loadTiers(join(sampleCorpusDir(), 'reputation.json'));
  const index = await LocalIndex.build(sampleCorpusDir(), BASE, new Reputation(tiers));
  const all = index.query('electricity', 0, 50).hits;
  assert.ok(all.some((h) => h.reputation_tier === 'other'));
  const office = all.find((h) => h.publisher_domain === 'energy-stats.example');
  assert.equal(office?.reputation_tier, 'government');
  assert.equal(office?.publisher, 'National Energy Statistics Office');
  const reputable = index.query('electricity', 0, 50, true);
  assert.ok(reputable.hits.length > 0 && reputable.hits.length < all.length);
  assert.ok(reputable.hits.every((h) => h.reputation_tier !== 'other'));
  assert.equal(reputable.total, reputable.hits.length);
});

test('tiers match exact domains and their subdomains, then suffixes; bad tier files are refused', { timeout: 20_000 }, async () => {
  const r = new Reputation();
  assert.equal(r.tierOf('www.who.int').name, 'intergovernmental');
  assert.equal(r.tierOf('data.census.gov').name, 'government');
  assert.equal(r.tierOf('ons.gov.uk').name, 'government');
  assert.equal(r.tierOf('mit.edu').name, 'academic');
  assert.equal(r.tierOf('www.nature.com').name, 'academic');
  assert.equal(r.tierOf('ourworldindata.org').name, 'research');
  assert.equal(r.tierOf('notwho.int.example.com').name, 'other');
  assert.equal(r.tierOf('evilwho.int').name, 'intergovernmental', '.int suffix');
  assert.equal(r.tierOf('blog.example').name, 'other');
  const dir = await mkdtemp(join(tmpdir(), 'tiers-'));
  try {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ tiers: [{ name: 'other', weight: 1, domains: [] }] }));
    await assert.rejects(loadTiers(bad), /"other" is the implicit last tier/);
    await writeFile(bad, '{"tiers": [');
    await assert.rejects(loadTiers(bad), /bad\.json/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
