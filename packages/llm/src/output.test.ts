import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidOutput, MAX_ITEMS, geminiSchema, jsonSchema, parseOutput, toCandidates } from './output.js';

const PAGE = 'Wind and solar generated 13.4% of global electricity in 2023.\n\nThe “average” household used 10,500 kWh.';
const base = { topic: 'solar electricity', pageText: PAGE, title: 'Energy', url: 'https://e.org/p', sourceName: 'E', maxCandidates: 10 };

test('parseOutput drops and counts invalid items, keeps valid ones', { timeout: 5000 }, () => {
  const r = parseOutput(
    JSON.stringify({
      statistics: [
        { name: 'Share', excerpt: 'x', value: 13.4, unit: '%', period: '2023' },
        { name: 'No value', excerpt: 'x', value: '13.4', unit: '%', period: '' },
        { name: '', excerpt: 'x', value: 1, unit: '', period: '' },
        { name: 'Null unit', excerpt: 'x', value: 2, unit: null, period: null },
        'not an object',
      ],
    }),
  );
  assert.equal(r.returned, 5);
  assert.equal(r.invalid, 3);
  assert.deepEqual(r.items.map((i) => [i.name, i.unit, i.period]), [['Share', '%', '2023'], ['Null unit', '', '']]);
});

test('parseOutput rejects an unusable envelope and reads fenced JSON', { timeout: 5000 }, () => {
  assert.throws(() => parseOutput('not json'), InvalidOutput);
  assert.throws(() => parseOutput('{"stats": []}'), InvalidOutput);
  assert.throws(() => parseOutput({ statistics: 'x' }), InvalidOutput);
  assert.equal(parseOutput('```json\n{"statistics": []}\n```').returned, 0);
  const many = { statistics: Array.from({ length: MAX_ITEMS + 50 }, () => ({ name: 'n', excerpt: 'e', value: 1, unit: '', period: '' })) };
  const r = parseOutput(many);
  assert.equal(r.items.length, MAX_ITEMS);
  assert.equal(r.returned, MAX_ITEMS + 50);
});

test('toCandidates keeps only excerpts found in the page, in the page wording', { timeout: 5000 }, () => {
  const r = toCandidates(
    [
      { name: 'Household use', excerpt: 'The "average" household used 10,500 kWh.', value: 10500, unit: 'kWh', period: '' },
      { name: 'Solar share', excerpt: 'Wind and solar generated 13.4% of global electricity in 2023.', value: 13.4, unit: '%', period: '2023' },
      { name: 'Invented', excerpt: 'Solar supplied 99% of global electricity in 2023.', value: 99, unit: '%', period: '2023' },
      { name: 'Solar share again', excerpt: 'Wind and solar generated 13.4% of global electricity in 2023.', value: 13.4, unit: '%', period: '2023' },
    ],
    base,
  );
  assert.equal(r.notInPage, 1);
  assert.equal(r.duplicates, 1);
  assert.deepEqual(r.candidates.map((c) => c.name), ['Solar share', 'Household use']);
  assert.equal(r.candidates[1]?.excerpt, 'The “average” household used 10,500 kWh.');
  const first = r.candidates[0];
  assert.ok(first !== undefined && first.relevance > 0);
  assert.equal(first.source, 'E');
  assert.equal(first.source_url, 'https://e.org/p');
  assert.equal(toCandidates(r.candidates.map((c) => ({ ...c })), { ...base, maxCandidates: 1 }).candidates.length, 1);
});

test('the schemas require every field and the strict-mode rules', { timeout: 5000 }, () => {
  const s = jsonSchema() as { additionalProperties: boolean; properties: { statistics: { items: { required: string[]; additionalProperties: boolean } } } };
  assert.equal(s.additionalProperties, false);
  assert.equal(s.properties.statistics.items.additionalProperties, false);
  assert.deepEqual([...s.properties.statistics.items.required].sort(), ['excerpt', 'name', 'period', 'unit', 'value']);
  const g = geminiSchema() as { type: string; properties: { statistics: { type: string; items: { propertyOrdering: string[] } } } };
  assert.equal(g.type, 'OBJECT');
  assert.equal(g.properties.statistics.type, 'ARRAY');
  assert.deepEqual(g.properties.statistics.items.propertyOrdering, ['name', 'excerpt', 'value', 'unit', 'period']);
});
