import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findQuantities, htmlToText, locateExcerpt, splitSentences } from './index.js';

// The example in README.md, line for line.
test('README example', { timeout: 5_000 }, () => {
  const page = htmlToText('<main><h1>Solar</h1><p>Solar grew <b>by 24%</b>&nbsp;in 2023.</p></main>');
  assert.equal(page.text, 'Solar\nSolar grew by 24% in 2023.');
  assert.deepEqual(page.headings, [{ offset: 0, level: 1, text: 'Solar' }]);

  const [, sentence] = splitSentences(page.text);
  assert.deepEqual(sentence, { start: 6, end: 32, text: 'Solar grew by 24% in 2023.' });
  assert.deepEqual(findQuantities(sentence.text), [{ value: 24, unit: '%', raw: '24%', start: 14, end: 17, period: '2023' }]);
  assert.deepEqual(findQuantities('GDP was $2.3 trillion (2023 est.), up 1.5%.'), [
    { value: 2300000000000, unit: 'USD', raw: '$2.3 trillion', start: 8, end: 21, period: '2023' },
    { value: 1.5, unit: '%', raw: '1.5%', start: 38, end: 42 },
  ]);

  assert.deepEqual(locateExcerpt(page.text, 'grew by 24%\u00a0in 2023'), { start: 12, end: 31, exact: false });
});
