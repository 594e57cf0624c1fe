import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findQuantities } from './quantities.js';
import type { Quantity } from './quantities.js';

const T = { timeout: 5_000 };

type Expect = [raw: string, value: number, unit: string, period?: string];

// Each row: a sentence and every quantity it should yield, in order.
const FOUND: Array<[string, Expect[]]> = [
  ['Unemployment was 42.5% last year.', [['42.5%', 42.5, '%']]],
  ['Turnout was 12 percent.', [['12 percent', 12, '%']]],
  ['Turnout was 12 per cent.', [['12 per cent', 12, '%']]],
  ['It reached 1.2 million.', [['1.2 million', 1_200_000, '']]],
  ['About 3.4 billion people.', [['3.4 billion people', 3_400_000_000, 'people']]],
  ['Debt hit 2 trillion.', [['2 trillion', 2e12, '']]],
  ['Some 15 thousand jobs.', [['15 thousand jobs', 15_000, 'jobs']]],
  ['GDP was $2.3 trillion.', [['$2.3 trillion', 2.3e12, 'USD']]],
  ['Sales were $3bn and €450 million.', [['$3bn', 3e9, 'USD'], ['€450 million', 4.5e8, 'EUR']]],
  ['It cost £12m.', [['£12m', 1.2e7, 'GBP']]],
  ['The fee is USD 1,250.', [['USD 1,250', 1250, 'USD']]],
  ['A US$3.2 billion loan.', [['US$3.2 billion', 3.2e9, 'USD']]],
  ['Warming of 1.5°C or 2 degrees Celsius.', [['1.5°C', 1.5, '°C'], ['2 degrees Celsius', 2, '°C']]],
  ['An area of 12,400 sq km and 300 km².', [['12,400 sq km', 12_400, 'km²'], ['300 km²', 300, 'km²']]],
  ['Rain of 5.5 mm over 20 km.', [['5.5 mm', 5.5, 'mm'], ['20 km', 20, 'km']]],
  ['It used 3 kWh, makes 300 MW, 4 GW and 1,300 TWh.', [['3 kWh', 3, 'kWh'], ['300 MW', 300, 'MW'], ['4 GW', 4, 'GW'], ['1,300 TWh', 1300, 'TWh']]],
  ['They emit 3.5 tonnes and 8 kg.', [['3.5 tonnes', 3.5, 't'], ['8 kg', 8, 'kg']]],
  ['Life expectancy is 73.4 years.', [['73.4 years', 73.4, 'years']]],
  ['The birth rate is 12.5 per 1,000 people.', [['12.5 per 1,000 people', 12.5, 'per 1,000 people']]],
  ['Deaths were 8 per 100,000 inhabitants.', [['8 per 100,000 inhabitants', 8, 'per 100,000 inhabitants']]],
  ['Power costs $50/MWh and 2 kWh per capita.', [['$50/MWh', 50, 'USD per MWh'], ['2 kWh per capita', 2, 'kWh per capita']]],
  ['Prices fell -0.4% and −0.4%.', [['-0.4%', -0.4, '%'], ['−0.4%', -0.4, '%']]],
  ['Growth was 0% and +2.5%.', [['0%', 0, '%'], ['+2.5%', 2.5, '%']]],
  ['The population was 1.2 million (2023 est.).', [['1.2 million', 1_200_000, '', '2023']]],
  ['Output rose 45% in 2022.', [['45%', 45, '%', '2022']]],
  ['In 2022, solar made 1,300 TWh.', [['1,300 TWh', 1300, 'TWh', '2022']]],
  ['About 45% of adults were obese in 2021.', [['45%', 45, '%', '2021']]],
  ['Between 10 and 20 percent, or 10–20%.', [['10', 10, '%'], ['20 percent', 20, '%'], ['10', 10, '%'], ['20%', 20, '%']]],
  ['It was $10-20 million.', [['$10', 1e7, 'USD'], ['20 million', 2e7, 'USD']]],
  ['Of 1,000 respondents, 450 said yes.', [['1,000 respondents', 1000, 'respondents'], ['450', 450, '']]],
  ['Growth was 5x and 2.1% a year.', [['5x', 5, 'x'], ['2.1% a year', 2.1, '% per year']]],
  ['It rose to 5.5%, up from 4.6% a year earlier.', [['5.5%', 5.5, '%'], ['4.6%', 4.6, '%']]],
  ['Prices were 3% lower than a year ago.', [['3%', 3, '%']]],
  ['Employment of people aged 20 to 64 reached 75.3%.', [['75.3%', 75.3, '%']]],
  ['Among adults aged 65 and over, 41% live alone.', [['41%', 41, '%']]],
  ['A median age of 45.7 years.', [['45.7 years', 45.7, 'years']]],
  ['Spending reached $4,200 per person.', [['$4,200 per person', 4200, 'USD per person']]],
  ['A 10-year low of 50k users and 5M downloads.', [['10-year', 10, 'years'], ['50k users', 50_000, 'users'], ['5M', 5e6, '']]],
  ['Emissions were 36.8 GtCO2 and 415 MtCO2e.', [['36.8 GtCO2', 36.8, 'GtCO2'], ['415 MtCO2e', 415, 'MtCO2e']]],
  ['Table 2 shows 45 countries.', [['45 countries', 45, 'countries']]],
  ['The 2022 figure was 1,024.', [['1,024', 1024, '']]],
];

// Sentences whose numbers are not statistics.
const NOT_FOUND: Array<[string, string]> = [
  ['bare year', 'It happened in 2022.'],
  ['years in a range', 'Over 2019–20 and 2019-2020.'],
  ['list index at line start', '1. Coal'],
  ['list index in parentheses', '(2) Gas'],
  ['section number', '3.2 Methods'],
  ['page reference', 'See p. 12 and pp. 12–15.'],
  ['page word', 'See page 12 and pages 3-5.'],
  ['section word', 'See Section 4 and Figure 3 and Chapter 7.'],
  ['day month year', 'On 12 March 2023 it rained.'],
  ['month day, year', 'On March 12, 2023 it rained.'],
  ['ISO date', 'On 2023-03-12 it rained.'],
  ['slash date', 'On 12/03/2023 it rained.'],
  ['time', 'At 10:30 it rained.'],
  ['ordinal', 'It ranked 21st.'],
  ['decade', 'It began in the 1990s.'],
  ['phone number', 'Call +1 555-123-4567 or (555) 123-4567.'],
  ['identifier with letters', 'The A320 and COVID-19 and CO2.'],
  ['ISBN', 'ISBN 978-3-16-148410-0.'],
  ['version', 'Install v2.3.1 now.'],
  ['IP address', 'Host 192.168.0.1 failed.'],
  ['citation marker', 'As reported.[12]'],
  ['fraction and 24/7', 'Open 24/7.'],
  ['hash number', 'Issue #45 closed.'],
  ['url', 'See https://example.org/2023/report-45 today.'],
  ['email', 'Write to user45@example.org today.'],
];

function simplify(q: Quantity): Expect {
  return q.period === undefined ? [q.raw, q.value, q.unit] : [q.raw, q.value, q.unit, q.period];
}

for (const [sentence, expected] of FOUND) {
  test(`findQuantities: ${sentence}`, T, () => {
    const got = findQuantities(sentence);
    assert.deepEqual(got.map(simplify), expected);
    for (const q of got) assert.equal(sentence.slice(q.start, q.end), q.raw);
  });
}

for (const [name, sentence] of NOT_FOUND) {
  test(`findQuantities does not return a ${name}: ${sentence}`, T, () => {
    assert.deepEqual(findQuantities(sentence), []);
  });
}

test('findQuantities keeps a statistic next to excluded numbers', T, () => {
  assert.deepEqual(findQuantities('1. Coal supplied 36% (see p. 12) on 12 March 2023.').map(simplify), [['36%', 36, '%']]);
});

test('findQuantities reports exact offsets and no period property when there is none', T, () => {
  const [q] = findQuantities('Up 4.5% overall');
  assert.deepEqual(q, { value: 4.5, unit: '%', raw: '4.5%', start: 3, end: 7 });
  assert.ok(q !== undefined && !('period' in q));
});

test('findQuantities is linear on long inputs', T, () => {
  assert.equal(findQuantities('1'.repeat(200_000)).length, 1);
  assert.equal(findQuantities('a@'.repeat(100_000)).length, 0);
  assert.equal(findQuantities('12% '.repeat(50_000)).length, 50_000);
});
