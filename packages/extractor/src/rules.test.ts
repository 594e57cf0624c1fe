import assert from 'node:assert/strict';
import { test } from 'node:test';
import { htmlToText } from '@stats-agent/text';
import { extractCandidates, termOverlap, topicTerms } from './rules.js';

const html = `<!doctype html><html><head><title>Wind power in 2023 | Energy Office</title></head><body>
<nav><a href="/">Home</a> 99 links</nav>
<main><h1>Wind power in 2023</h1>
<h2>Generation</h2>
<p>Wind turbines supplied <strong>18.2%</strong> of the country&rsquo;s electricity in 2023.</p>
<h2>Jobs</h2>
<p>The industry employed 41,300 people, and its exports were worth $2.1 billion.</p>
<p>The first farm opened in 1991.</p>
</main><footer>Copyright 2024. 12 pages.</footer></body></html>`;

test('every quantity becomes a candidate with its sentence as excerpt, heading in its name', { timeout: 5000 }, () => {
  const page = htmlToText(html);
  const c = extractCandidates(page, { topic: 'wind power electricity', sourceName: page.title, sourceUrl: 'http://127.0.0.1:1/wind', maxCandidates: 10 });
  const byValue = new Map(c.map((x) => [x.value, x]));
  const share = byValue.get(18.2);
  assert.ok(share, JSON.stringify(c));
  assert.equal(share.unit, '%');
  assert.equal(share.excerpt, 'Wind turbines supplied 18.2% of the country\u2019s electricity in 2023.');
  assert.match(share.name, /^Generation: /);
  assert.equal(share.period, '2023');
  assert.equal(share.source_url, 'http://127.0.0.1:1/wind');
  assert.ok(byValue.has(41300));
  assert.equal(byValue.get(2.1e9)?.unit, 'USD');
  // Not statistics: the bare year, navigation and footer text.
  for (const v of [1991, 99, 12, 2024]) assert.ok(!byValue.has(v), `${v} should not be a candidate`);
  // Most relevant first: the electricity share mentions the topic most.
  assert.equal(c[0]?.value, 18.2);
});

test('maxCandidates caps the list; topic terms skip stop words', { timeout: 5000 }, () => {
  const page = htmlToText(html);
  assert.equal(extractCandidates(page, { topic: 'x', sourceName: 's', sourceUrl: 'http://h/', maxCandidates: 1 }).length, 1);
  assert.deepEqual(topicTerms('The growth of Urban population'), ['growth', 'urban', 'population']);
  assert.equal(termOverlap(['urban', 'population'], 'Urban populations grew'), 1);
});

test('a number in a table cell is named by caption, row label and column header, excerpt the row', { timeout: 5000 }, () => {
  const page = htmlToText(`<main><h2>Labour market</h2><table>
  <caption>Headline indicators, October&ndash;December 2023</caption>
  <thead><tr><th>Indicator</th><th>Level</th><th>Change on year</th></tr></thead>
  <tr><td>Unemployment rate</td><td>5.9%</td><td>-0.2 pp</td></tr>
  <tr><td>Vacancies</td><td>812,000</td><td>-14.5%</td></tr>
  <tr><th>GDP (US$ billions)</th><td>2,345</td><td></td></tr>
</table></main>`);
  assert.deepEqual(page.tables?.[0]?.headers, ['Indicator', 'Level', 'Change on year']);
  const c = extractCandidates(page, { topic: 'vacancies', sourceName: 's', sourceUrl: 'http://127.0.0.1:1/t', maxCandidates: 20 });
  const by = (v: number) => c.find((x) => x.value === v);
  assert.equal(by(812000)?.name, 'Headline indicators, October\u2013December 2023: Vacancies \u2014 Level');
  assert.equal(by(812000)?.excerpt, 'Vacancies 812,000 -14.5%');
  assert.equal(by(-14.5)?.name, 'Headline indicators, October\u2013December 2023: Vacancies \u2014 Change on year');
  assert.equal(by(5.9)?.unit, '%');
  // The column header carries the scale the cell leaves out; the value stays as printed.
  assert.equal(by(2345)?.name, 'Headline indicators, October\u2013December 2023: GDP (US$ billions) \u2014 Level');
  // The row about the topic ranks above the others.
  assert.ok((by(812000)?.relevance ?? 0) > (by(5.9)?.relevance ?? 1));
});
