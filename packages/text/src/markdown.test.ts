import assert from 'node:assert/strict';
import { test } from 'node:test';
import { markdownToText } from './markdown.js';
import { splitSentences } from './sentences.js';

const T = { timeout: 5_000 };

const DOC = `---
title: "Energy Outlook"
date: 2024-01-01
---
# Global *energy* outlook #

Renewables supplied **29.1%** of electricity in 2022, according to the
[IEA](https://www.iea.org/reports/x_(2023) "IEA") and _Ember_.

## Key figures

- Solar: 1,300 TWh
* [ ] Wind: 2,100 TWh
1. Hydro: 4,300 TWh

> Coal's share fell to 36%.

\`\`\`python
share = 0.291  # not *emphasis*
\`\`\`

Setext heading
--------------

| Country | Share |
|---------|------:|
| Germany | 12.4% |

![Chart of shares](chart.png) Escaped \\*stars\\* stay, snake_case_name too. <!-- a comment -->
See <https://example.org> &amp; <b>more</b>.

***
[ref]: https://example.org/ref
`;

test('markdownToText strips the syntax and keeps the words', T, () => {
  const page = markdownToText(DOC);
  assert.equal(
    page.text,
    [
      'Global energy outlook',
      'Renewables supplied 29.1% of electricity in 2022, according to the IEA and Ember.',
      'Key figures',
      'Solar: 1,300 TWh',
      'Wind: 2,100 TWh',
      'Hydro: 4,300 TWh',
      "Coal's share fell to 36%.",
      'share = 0.291 # not *emphasis*',
      'Setext heading',
      'Country Share',
      'Germany 12.4%',
      'Chart of shares Escaped *stars* stay, snake_case_name too. See https://example.org & more.',
    ].join('\n'),
  );
  assert.equal(page.title, 'Energy Outlook');
});

test('markdownToText records headings with offsets', T, () => {
  const { text, headings } = markdownToText(DOC);
  assert.deepEqual(
    headings.map((h) => [h.level, h.text]),
    [
      [1, 'Global energy outlook'],
      [2, 'Key figures'],
      [2, 'Setext heading'],
    ],
  );
  for (const h of headings) assert.equal(text.slice(h.offset, h.offset + h.text.length), h.text);
});

test('markdownToText joins soft-wrapped lines so a sentence is not cut', T, () => {
  const { text } = markdownToText(DOC);
  const sentences = splitSentences(text).map((s) => s.text);
  assert.ok(sentences.includes('Renewables supplied 29.1% of electricity in 2022, according to the IEA and Ember.'));
});

const cases: Array<[string, string, string]> = [
  ['emphasis', 'a **b** *c* ***d*** __e__ _f_ ~~g~~', 'a b c d e f g'],
  ['multiplication is not emphasis', '2 * 3 * 4 = 24', '2 * 3 * 4 = 24'],
  ['inline code kept verbatim', 'run `a *b* c` now', 'run a *b* c now'],
  ['reference link', 'see [the report][1] now', 'see the report now'],
  ['footnote marker removed', 'claim[^1] here', 'claim here'],
  ['hard break', 'line one  \nline two', 'line one\nline two'],
  ['title from first h1', '## Sub\n# Main\ntext', 'Sub\nMain\ntext'],
  ['empty', '', ''],
];
for (const [name, md, text] of cases) {
  test(`markdownToText: ${name}`, T, () => assert.equal(markdownToText(md).text, text));
}

test('markdownToText title: front matter, else first h1, else first heading', T, () => {
  assert.equal(markdownToText('## Sub\n# Main\ntext').title, 'Main');
  assert.equal(markdownToText('## Only sub\ntext').title, 'Only sub');
  assert.equal(markdownToText('no headings').title, '');
});
