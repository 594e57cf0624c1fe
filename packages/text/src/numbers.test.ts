import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNumber } from './numbers.js';

const T = { timeout: 5_000 };

const CASES: Array<[string, number | undefined]> = [
  ['1,234.5', 1234.5],
  ['-3', -3],
  ['−3', -3],
  ['+3', 3],
  ['1.2 million', 1_200_000],
  ['1.2 Million', 1_200_000],
  ['2.3 trillion', 2.3e12],
  ['3bn', 3e9],
  ['$3bn', 3e9],
  ['€450 million', 4.5e8],
  ['USD 1,250', 1250],
  ['15 thousand', 15_000],
  ['50k', 50_000],
  ['45%', 45],
  ['12 percent', 12],
  ['12 per cent', 12],
  ['0', 0],
  ['-0', 0],
  ['0.5', 0.5],
  ['.5', 0.5],
  ['  42  ', 42],
  ['12,400', 12_400],
  ['', undefined],
  ['abc', undefined],
  ['12abc', undefined],
  ['1.2.3', undefined],
  ['12 km', undefined],
  ['--3', undefined],
  ['-$-3', undefined],
  ['1 2', undefined],
  [' '.repeat(100_000), undefined],
];

for (const [raw, value] of CASES) {
  test(`parseNumber(${JSON.stringify(raw.length > 20 ? `${raw.slice(0, 20)}…` : raw)})`, T, () => {
    assert.equal(parseNumber(raw), value);
  });
}
