import { decodeHTML } from 'entities';
/** Characters dropped by normalization: soft hyphen and zero-width characters. */
function isRemoved(c: number): boolean {
  return c === 0xad || (c >= 0x200b && c <= 0x200d) || c === 0x2060 || c === 0xfeff || c === 0x180e;
}

/** Quotes and dashes folded to their ASCII forms, by code unit. */
const FOLD: ReadonlyMap<number, string> = new Map([
  [0x2018, "'"], [0x2019, "'"], [0x201a, "'"], [0x201b, "'"], [0x2032, "'"],
  [0x201c, '"'], [0x201d, '"'], [0x201e, '"'], [0x201f, '"'], [0x2033, '"'],
  [0x2010, '-'], [0x2011, '-'], [0x2012, '-'], [0x2013, '-'], [0x2014, '-'], [0x2015, '-'],
  [0x2212, '-'], [0xfe58, '-'], [0xfe63, '-'], [0xff0d, '-'],
]);

const WHITESPACE = /\s/;
const COMBINING = /\p{M}+/uy;

interface Normalized {
  text: string;
  /** Offset in the original of the first code unit behind normalized char i. */
  map: number[];
  /** Offset in the original just after the last code unit behind normalized char i. */
  ends: number[];
}

function normalize(s: string): Normalized {
  const out: string[] = [];
  const map: number[] = [];
  const ends: number[] = [];
  let lastSpace = false;
  const emit = (ch: string, from: number, to: number): void => {
    const c = ch.charCodeAt(0);
    if (isRemoved(c)) return;
    if (c < 0x80 ? c === 32 || (c >= 9 && c <= 13) : WHITESPACE.test(ch)) {
      if (lastSpace) {
        ends[ends.length - 1] = to;
        return;
      }
      lastSpace = true;
      out.push(' ');
    } else {
      lastSpace = false;
      out.push(FOLD.get(c) ?? ch);
    }
    map.push(from);
    ends.push(to);
  };

  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    const following = i + 1 < n ? s.charCodeAt(i + 1) : 0;
    // ASCII not followed by a combining mark is already in NFKC.
    if (c < 0x80 && following < 0x300) {
      emit(s[i] ?? '', i, i + 1);
      i++;
      continue;
    }
    // A cluster: one code point and the combining marks after it, normalized together so that
    // "e\u0301" and "é" compare equal.
    let j = i + (c >= 0xd800 && c <= 0xdbff && following >= 0xdc00 && following <= 0xdfff ? 2 : 1);
    COMBINING.lastIndex = j;
    if (COMBINING.exec(s) !== null) j = COMBINING.lastIndex;
    const nfkc = s.slice(i, j).normalize('NFKC');
    for (let k = 0; k < nfkc.length; k++) emit(nfkc[k] ?? '', i, j);
    i = j;
  }
  return { text: out.join(''), map, ends };
}

/**
 * Normalizes text for matching quotations: Unicode NFKC; every whitespace run (NBSP and line
 * breaks included) → one space; curly quotes → straight quotes; en/em dashes and U+2212 → "-";
 * soft hyphens and zero-width characters removed. Case is kept. `map[i]` is the offset in `s` of
 * the character behind normalized character `i`. Linear time.
 */
export function normalizeForMatch(s: string): { text: string; map: number[] } {
  const { text, map } = normalize(s);
  return { text, map };
}

/**
 * Finds where `excerpt` is quoted in `pageText`. An exact occurrence wins (`exact: true`);
 * otherwise both are normalized with {@link normalizeForMatch} (the excerpt also trimmed) and the
 * first match is mapped back to offsets in the original `pageText` (`exact: false`), so
 * `pageText.slice(start, end)` is the passage as the page has it. Returns undefined when the
 * excerpt is blank (after normalization) or not found. Linear time in the page length.
 */
export function locateExcerpt(pageText: string, excerpt: string): { start: number; end: number; exact: boolean } | undefined {
  // A quoted excerpt may carry the page's HTML entities ("AT&amp;T", "&nbsp;"); page text has
  // them decoded already. (A page that prints an entity literally is found by the exact step.)
  const needle = normalize(decodeHTML(excerpt)).text.trim();
  if (needle === '') return undefined;
  const exact = pageText.indexOf(excerpt);
  if (exact >= 0) return { start: exact, end: exact + excerpt.length, exact: true };
  const page = normalize(pageText);
  const at = page.text.indexOf(needle);
  if (at < 0) return undefined;
  const start = page.map[at];
  const end = page.ends[at + needle.length - 1];
  if (start === undefined || end === undefined) return undefined;
  return { start, end, exact: false };
}
