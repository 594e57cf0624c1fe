import assert from 'node:assert/strict';
import { test } from 'node:test';
import { locateExcerpt, normalizeForMatch } from './match.js';

const T = { timeout: 5_000 };

test('normalizeForMatch folds whitespace, quotes, dashes, invisible characters and NFKC', T, () => {
  const input = 'A\u00a0\u00a0“quoted”\u2009–\u2212 ‘x’ sta\u00adtis\u200btics ﬁ ＡＢ e\u0301';
  const { text, map } = normalizeForMatch(input);
  assert.equal(text, 'A "quoted" -- \'x\' statistics fi AB é');
  assert.equal(map.length, text.length);
  // Every normalized character maps to where it came from.
  assert.equal(map[0], 0);
  assert.equal(map[1], 1); // the first of the two NBSPs
  assert.equal(input[map[text.indexOf('"')] ?? -1], '“');
  assert.equal(input[map[text.indexOf('t', 20)] ?? -1], 't');
  assert.equal(map[text.indexOf('é')], input.indexOf('e\u0301'));
});

test('normalizeForMatch keeps case', T, () => {
  assert.equal(normalizeForMatch('AbC').text, 'AbC');
});

const PAGE = [
  'Energy report',
  'Solar generation grew by 24%\u00a0in 2023, according to the agency\u2019s \u201cannual\u201d report \u2013 a re\u00adcord.',
  'It now supplies 5.5 % of the world\u2019s power.',
].join('\n');

test('locateExcerpt: an exact occurrence', T, () => {
  const excerpt = 'It now supplies 5.5 % of';
  const r = locateExcerpt(PAGE, excerpt);
  assert.deepEqual(r, { start: PAGE.indexOf(excerpt), end: PAGE.indexOf(excerpt) + excerpt.length, exact: true });
});

const VARIANTS: Array<[string, string, string]> = [
  [
    'straight quotes for curly ones',
    'according to the agency\'s "annual" report',
    'according to the agency\u2019s \u201cannual\u201d report',
  ],
  ['a plain space for NBSP', 'grew by 24% in 2023', 'grew by 24%\u00a0in 2023'],
  ['a hyphen for an en dash, no soft hyphen', 'report - a record.', 'report \u2013 a re\u00adcord.'],
  ['a space for a line break', 'a re\u00adcord. It now supplies', 'a re\u00adcord.\nIt now supplies'],
  ['surrounding whitespace and doubled spaces', '  It now   supplies 5.5 %  ', 'It now supplies 5.5 %'],
];

for (const [name, excerpt, original] of VARIANTS) {
  test(`locateExcerpt maps back to the original: ${name}`, T, () => {
    const r = locateExcerpt(PAGE, excerpt);
    assert.ok(r !== undefined, 'found');
    assert.equal(r.exact, false);
    assert.equal(PAGE.slice(r.start, r.end), original);
    assert.equal(r.start, PAGE.indexOf(original));
  });
}

test('locateExcerpt: the page side may carry the odd characters too', T, () => {
  const page = 'Intro.\nThe rate was \u201c4.5\u00a0per\u00a0cent\u201d in 2023 \u2212 up.';
  const r = locateExcerpt(page, 'The rate was "4.5 per cent" in 2023 - up.');
  assert.ok(r !== undefined);
  assert.equal(page.slice(r.start, r.end), 'The rate was \u201c4.5\u00a0per\u00a0cent\u201d in 2023 \u2212 up.');
});

test('locateExcerpt: not found, blank, case differs', T, () => {
  assert.equal(locateExcerpt(PAGE, 'grew by 25%'), undefined);
  assert.equal(locateExcerpt(PAGE, '   '), undefined);
  assert.equal(locateExcerpt(PAGE, '\u00ad'), undefined);
  assert.equal(locateExcerpt(PAGE, 'SOLAR GENERATION'), undefined);
});

test('locateExcerpt on a 2 MB page is linear', T, () => {
  const para = 'The share of renewables rose to 29.1% in 2022,\u00a0up from \u201c12.4\u201d million tonnes. ';
  const page = `${para.repeat(Math.ceil(2_000_000 / para.length))}Final \u201ctail\u201d here.`;
  const r = locateExcerpt(page, 'Final "tail" here.');
  assert.ok(r !== undefined);
  assert.equal(page.slice(r.start, r.end), 'Final \u201ctail\u201d here.');
  assert.equal(locateExcerpt(page, `${para.trim()} zzz`), undefined);
  // A needle that almost matches everywhere.
  assert.equal(locateExcerpt('a'.repeat(1_000_000), `${'a'.repeat(2_000)}b`), undefined);
});
