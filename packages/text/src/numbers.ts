/** A number as written in English text: thousands commas, optional decimals. */
export const NUMBER_CORE = String.raw`(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|\.\d+`;

/** Powers of ten of the scale words, by lower-case spelling. */
export const SCALE_WORDS: ReadonlyMap<string, number> = new Map([
  ['thousand', 3],
  ['k', 3],
  ['lakh', 5],
  ['million', 6],
  ['mn', 6],
  ['mln', 6],
  ['m', 6],
  ['crore', 7],
  ['billion', 9],
  ['bn', 9],
  ['bln', 9],
  ['b', 9],
  ['trillion', 12],
  ['tn', 12],
]);

/**
 * The value of `digits` (commas allowed) times ten to `exponent`, computed in decimal so that
 * "2.3" × 10¹² is exactly 2300000000000 rather than a binary rounding of it.
 */
export function scaled(digits: string, exponent: number, negative: boolean): number {
  const v = Number(`${digits.replace(/,/g, '')}e${exponent}`);
  if (v === 0) return 0;
  return negative ? -v : v;
}

const CURRENCY_SYMBOL = String.raw`(?:US|A|AU|C|CA|NZ|HK|S)?\$|[€£¥₹]|(?:USD|EUR|GBP|JPY|CNY|INR|CHF|CAD|AUD) ?`;
// Applied to a trimmed string of bounded length, with at most one space between parts, so it
// cannot backtrack badly.
const PARSE = new RegExp(
  String.raw`^([-−+])?(?:${CURRENCY_SYMBOL})? ?([-−+])?(${NUMBER_CORE}) ?(?!per ?cent|pct)([a-z]+)? ?(%|percent|per ?cent|pct)?$`,
  'iu',
);
const MAX_NUMBER_LENGTH = 64;

/**
 * Parses one number as a person would write it: "1,234.5" → 1234.5, "−3" (U+2212) → -3,
 * "1.2 million" → 1200000, "$3bn" → 3000000000, "45%" → 45. Returns undefined when the whole
 * string is not one number (units other than a percent sign are not accepted).
 */
export function parseNumber(raw: string): number | undefined {
  const s = raw.trim().replace(/\s+/g, ' ');
  if (s.length > MAX_NUMBER_LENGTH) return undefined;
  const m = PARSE.exec(s);
  if (m === null) return undefined;
  const [, sign1, sign2, digits, word] = m;
  if (digits === undefined || (sign1 !== undefined && sign2 !== undefined)) return undefined;
  let exponent = 0;
  if (word !== undefined) {
    const e = SCALE_WORDS.get(word.toLowerCase());
    if (e === undefined) return undefined;
    exponent = e;
  }
  const sign = sign1 ?? sign2;
  return scaled(digits, exponent, sign === '-' || sign === '−');
}
