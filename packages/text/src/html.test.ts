import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { htmlToText } from './html.js';
import { splitSentences } from './sentences.js';

const T = { timeout: 5_000 };

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <title>Renewables  &amp; the Grid | Example News</title>
  <style>p { color: red }</style>
  <script>window.stats = "99% of nothing. Not text.";</script>
</head>
<body>
  <header class="site"><h1>Example News</h1><nav><a href="/">Home</a> <a href="/about">About</a></nav></header>
  <nav aria-label="breadcrumbs">Energy &gt; Solar</nav>
  <main>
    <article>
      <header><h1>Solar   overtakes <em>coal</em></h1></header>
      <p>Solar generation grew <strong>by 24%</strong>&nbsp;in 2023, according to the agency&#8217;s report &ndash; a record.
         It now supplies 5.5&nbsp;% of power.</p>
      <div hidden>Hidden 12% text.</div>
      <span style="display: none">Also hidden.</span>
      <h2 id="outlook">Outlook to <span>2030</span></h2>
      <ul><li>Wind: 7.8%</li><li>Hydro: 14.3%<br>Nuclear: 9.1%</li></ul>
      <table><tr><th>Country</th><th>Share</th></tr><tr><td>Germany</td><td>12.4%</td></tr></table>
      <aside>Related: 50 other stories</aside>
      <form><label>Subscribe</label><input name="email"><button>Go</button></form>
      <noscript>Enable JS</noscript>
      <svg><title>chart</title><text>42</text></svg>
      <iframe src="/ad">iframe fallback</iframe>
      <template><p>template 1</p></template>
    </article>
  </main>
  <footer>© 2024 Example News. All rights reserved.</footer>
</body>
</html>`;

const EXPECTED = [
  'Solar overtakes coal',
  "Solar generation grew by 24%\u00a0in 2023, according to the agency’s report – a record. It now supplies 5.5\u00a0% of power.",
  'Outlook to 2030',
  'Wind: 7.8%',
  'Hydro: 14.3%',
  'Nuclear: 9.1%',
  'Country Share',
  'Germany 12.4%',
].join('\n');

test('htmlToText keeps the main content and drops the chrome around it', T, () => {
  const page = htmlToText(PAGE);
  // NBSP counts as whitespace and becomes a plain space.
  assert.equal(page.text, EXPECTED.replace(/\u00a0/g, ' '));
  assert.equal(page.title, 'Renewables & the Grid | Example News');
  for (const dropped of ['Home', 'breadcrumbs', 'Energy > Solar', '99%', 'Hidden', 'Also hidden', 'Related', 'Subscribe', 'Enable JS', 'chart', '42', 'iframe', 'template', '©', 'Example News']) {
    assert.ok(!page.text.includes(dropped), `text must not include ${JSON.stringify(dropped)}`);
  }
});

test('htmlToText: a sentence split across <strong> and &nbsp; stays one sentence', T, () => {
  const { text } = htmlToText(PAGE);
  const sentences = splitSentences(text).map((s) => s.text);
  assert.ok(
    sentences.includes("Solar generation grew by 24% in 2023, according to the agency’s report – a record."),
    JSON.stringify(sentences),
  );
  assert.ok(sentences.includes('It now supplies 5.5 % of power.'));
});

test('htmlToText records headings at their offset in the text', T, () => {
  const { text, headings } = htmlToText(PAGE);
  assert.deepEqual(headings, [
    { offset: 0, level: 1, text: 'Solar overtakes coal' },
    { offset: text.indexOf('Outlook to 2030'), level: 2, text: 'Outlook to 2030' },
  ]);
  for (const h of headings) assert.equal(text.slice(h.offset, h.offset + h.text.length), h.text);
  assert.ok(text.indexOf('Outlook') > 0);
});

test('htmlToText is deterministic', T, () => {
  const hash = (s: string): string => createHash('sha256').update(s).digest('hex');
  assert.equal(hash(htmlToText(PAGE).text), hash(htmlToText(PAGE).text));
  assert.deepEqual(htmlToText(PAGE), htmlToText(PAGE));
});

test('htmlToText: without <main>, <article> is the content; without either, the body', T, () => {
  const article = htmlToText('<body><div>Menu</div><article><p>Only this.</p></article><p>Not this.</p></body>');
  assert.equal(article.text, 'Only this.');
  const body = htmlToText('<body><header>Site</header><div>First block</div><p>Second <b>bold</b> block</p></body>');
  assert.equal(body.text, 'First block\nSecond bold block');
  const emptyMain = htmlToText('<body><main> </main><p>Falls back.</p></body>');
  assert.equal(emptyMain.text, 'Falls back.');
});

const cases: Array<{ name: string; html: string; text: string; title?: string }> = [
  { name: 'entities decoded', html: '<p>A&amp;B &lt;3 &quot;q&quot; &#x2014; &eacute;</p>', text: 'A&B <3 "q" — é' },
  { name: 'whitespace collapsed within a line', html: '<p>  a \n\t b   c  </p>', text: 'a b c' },
  { name: 'inline tags do not add spaces', html: '<p>4<sup>th</sup> and co<b>mp</b>any</p>', text: '4th and company' },
  { name: 'block elements break lines', html: '<div>one</div><div>two</div><p>three</p><section>four</section>', text: 'one\ntwo\nthree\nfour' },
  { name: 'br breaks a line', html: '<p>one<br>two<br/>three</p>', text: 'one\ntwo\nthree' },
  { name: 'table cells are separated', html: '<table><tr><td>a</td><td>1</td></tr><tr><td>b</td><td>2</td></tr></table>', text: 'a 1\nb 2' },
  { name: 'pre keeps its line breaks', html: '<pre>line 1\nline  2</pre>', text: 'line 1\nline 2' },
  { name: 'unclosed tags are recovered', html: '<ul><li>a<li>b</ul><p>c<p>d', text: 'a\nb\nc\nd' },
  { name: 'soft hyphens and zero-width spaces dropped', html: '<p>sta\u00adtis\u200btics</p>', text: 'statistics' },
  { name: 'title falls back to the first h1', html: '<body><h1>The  Heading</h1><p>x</p></body>', text: 'The Heading\nx', title: 'The Heading' },
  { name: 'role=navigation dropped', html: '<div role="navigation">menu</div><p>body</p>', text: 'body' },
  { name: 'empty document', html: '', text: '', title: '' },
];

for (const c of cases) {
  test(`htmlToText: ${c.name}`, T, () => {
    const page = htmlToText(c.html);
    assert.equal(page.text, c.text);
    if (c.title !== undefined) assert.equal(page.title, c.title);
  });
}

test('htmlToText handles a 2 MB page', T, () => {
  const block = '<p>The share of <b>renewables</b> rose to 29.1%&nbsp;in 2022.</p><h2>Part</h2>';
  const html = `<main>${block.repeat(Math.ceil(2_000_000 / block.length))}</main>`;
  const page = htmlToText(html);
  assert.ok(page.text.length > 1_000_000);
  assert.equal(page.headings.length, Math.ceil(2_000_000 / block.length));
});
