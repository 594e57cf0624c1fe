import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitSentences } from './sentences.js';

const T = { timeout: 5_000 };

const cases: Array<[string, string, string[]]> = [
  ['simple', 'One. Two! Three? Four', ['One.', 'Two!', 'Three?', 'Four']],
  ['decimals', 'It grew 3.5% to 12.75 million. Then it fell.', ['It grew 3.5% to 12.75 million.', 'Then it fell.']],
  ['e.g. and i.e.', 'Some fuels, e.g. Coal, and i.e. Gas burn. Next.', ['Some fuels, e.g. Coal, and i.e. Gas burn.', 'Next.']],
  ['U.S.', 'Output in the U.S. Rose by 4%. Next.', ['Output in the U.S. Rose by 4%.', 'Next.']],
  ['titles', 'Dr. Smith and Mr. Jones met Prof. Lee. They agreed.', ['Dr. Smith and Mr. Jones met Prof. Lee.', 'They agreed.']],
  ['approx. and est.', 'It is approx. 5 km long and est. 300 years old. Yes.', ['It is approx. 5 km long and est. 300 years old.', 'Yes.']],
  ['No. before a number', 'Plant No. 5 closed. It was old.', ['Plant No. 5 closed.', 'It was old.']],
  ['initials', 'J. K. Rowling and John F. Kennedy. End.', ['J. K. Rowling and John F. Kennedy.', 'End.']],
  ['digit starts a sentence', 'It fell. 2023 was worse.', ['It fell.', '2023 was worse.']],
  ['lower case does not start a sentence', 'about 5 p. m. or so. Then.', ['about 5 p. m. or so.', 'Then.']],
  ['closing quote kept', 'He said "It rose." Then left.', ['He said "It rose."', 'Then left.']],
  ['opening quote starts a sentence', 'It rose. "Good," he said.', ['It rose.', '"Good," he said.']],
  ['line breaks split', 'Heading\nFirst line\r\nSecond line', ['Heading', 'First line', 'Second line']],
  ['list numbers at line start', '1. First item. Second.\n2. Next item', ['1. First item.', 'Second.', '2. Next item']],
  ['ellipsis and ?!', 'Really?! Yes... Sure.', ['Really?!', 'Yes...', 'Sure.']],
  ['NBSP after a period', 'Up 4%.\u00a0Down 2%.', ['Up 4%.', 'Down 2%.']],
  ['blank input', '  \n\n ', []],
];

for (const [name, input, expected] of cases) {
  test(`splitSentences: ${name}`, T, () => {
    const got = splitSentences(input);
    assert.deepEqual(got.map((s) => s.text), expected);
    for (const s of got) assert.equal(input.slice(s.start, s.end), s.text);
  });
}

test('splitSentences offsets refer to the input', T, () => {
  const input = '  Alpha beta.  Gamma delta.\n';
  assert.deepEqual(splitSentences(input), [
    { start: 2, end: 13, text: 'Alpha beta.' },
    { start: 15, end: 27, text: 'Gamma delta.' },
  ]);
});

test('splitSentences on 2 MB of text', T, () => {
  const para = 'The share rose to 29.1% in 2022, e.g. in the U.S. Dr. Who said so. ';
  const text = para.repeat(Math.ceil(2_000_000 / para.length));
  const got = splitSentences(text);
  // "U.S." never ends a sentence, so each repetition is one sentence.
  assert.equal(got.length, Math.ceil(2_000_000 / para.length));
  // Pathological input: no spaces, many periods.
  assert.equal(splitSentences('a.'.repeat(1_000_000)).length, 1);
});
