import { NUMBER_CORE, SCALE_WORDS, scaled } from './numbers.js';
import {
  CURRENCY_AFTER, CURRENCY_BEFORE, CURRENCY_SYMBOL, DOLLAR_PREFIX, RATE_WORDS, SCALE_AFTER, SCALE_LETTER,
  UNITS, unitName,
} from './units.js';
import type { UnitPattern } from './units.js';

/**
 * A number a reader would call a statistic. `raw` is `sentence.slice(start, end)`: currency,
 * sign, number, scale word and unit as written. `value` includes the scale ("1.2 million" →
 * 1200000); `unit` is normalized ("percent" → "%", "$" → "USD", "sq km" → "km²"; "" for a plain
 * count). `period` is the year the value refers to when the sentence says so ("(2023 est.)",
 * "in 2022", "In 2022, …").
 */
export interface Quantity {
  value: number;
  unit: string;
  raw: string;
  start: number;
  end: number;
  period?: string;
}

const MONTH =
  '(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)';
const YEAR = String.raw`(?:19|20)\d{2}`;

// Spans whose digits are never statistics: dates, times, phone numbers, identifiers, versions,
// page and section references, citation markers, list numbers.
const EXCLUDED: readonly RegExp[] = [
  /\b(?:https?:\/\/|www\.)\S+/gi,
  /(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g,
  /\b\d{4}-\d{1,2}-\d{1,2}\b/g,
  /\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b/g,
  new RegExp(String.raw`\b${MONTH}\.?\s+\d{1,2}(?:st|nd|rd|th)?\b(?:,?\s+\d{4}\b)?`, 'g'),
  new RegExp(String.raw`\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?${MONTH}\b\.?(?:,?\s+\d{4}\b)?`, 'g'),
  new RegExp(String.raw`\b${MONTH}\.?\s+\d{4}\b`, 'g'),
  /\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\.?)?/gi,
  /\b\d{1,2}\s?(?:[ap]\.m\.|[ap]m\b)/gi,
  /\b\d+:\d+\b/g,
  /(?:\+\d{1,3}[\s.-]?)?\(\d{2,4}\)[\s.-]?\d{3,4}[\s.-]\d{3,4}\b/g,
  /(?:\+\d{1,3}[\s.-]?)?\b\d{3}[.-]\d{3}[.-]\d{4}\b/g,
  /\+\d{1,3}(?:[\s.-]\d{1,4}){2,}/g,
  /\b(?:ISBN|ISSN)(?:-1[03])?:?\s*\d[\d-]{6,}[\dXx]\b/g,
  /\b(?:doi:?\s*)?10\.\d{4,9}\/\S+/gi,
  /\bv?\d+(?:\.\d+){2,}\b/g,
  /\bp{1,2}\.\s*\d+(?:\s*[-–]\s*\d+)?/g,
  /\bpages?\s+\d+(?:\s*[-–]\s*\d+)?/gi,
  /\b(?:Sections?|Sec\.|Chapters?|Chap\.|Ch\.|Figures?|Figs?\.|Tables?|Articles?|Art\.|Vol\.|Volume|Issue|Appendix|Annex|Footnote|Ref\.|Exhibit)\s{0,3}#?\s{0,3}\d+(?:\.\d+)*[a-z]?\b/gi,
  /\b(?:No|Nos|Para)\.\s*\d+/g,
  /\b(?:Number|Step|Part|Phase|Goal|SDG|Scope|Tier|Level|Item|Rule|Paragraph|Note|Chart|Box|Version|Type|Grade|Class|Category|Route|Highway|Interstate|Amendment|Episode|Season|Stage|Round|Model)\s{0,3}#?\s{0,3}\d+(?:\.\d+)*[a-z]?\b/g,
  /§+\s*\d+(?:\.\d+)*/g,
  /#\d+/g,
  /\[\d+(?:\s*[,–-]\s*\d+)*\]/g,
  /^\s*\(?\d{1,3}[.)](?=\s|$)/g,
  // Ages that define who is counted ("aged 20 to 64", "ages 15-24", "aged 65 and over").
  /\b(?:aged|ages)\s+\d{1,3}(?:\s*(?:to|-|–|and)\s*\d{1,3})?(?:\s*\+|\s+(?:and|or)\s+(?:over|above|older|under|younger))?/gi,
];

const NUMBER = new RegExp(NUMBER_CORE, 'g');
const ALNUM = /[\p{L}\p{N}_]/u;
const LETTER = /\p{L}/u;
const HYPHEN_UNIT = /-(years?|months?|weeks?|days?|hours?|minutes?|fold|metres?|meters?|km|kilomet(?:re|er)s?|miles?|person|people|storey|story|acres?|hectares?)(?![\p{L}\p{N}])/iuy;
const RATE = /\s{0,2}(?:per(?!\s?cent)\s+|\/\s?)/iuy;
const RATE_NUMBER = new RegExp(String.raw`(${NUMBER_CORE})\s{1,2}`, 'y');
const RATE_WORD = /(\p{Ll}+)(?![\p{L}\p{N}])/uy;
// "a year" is a rate, "a year earlier/ago/before/later" is a comparison point, not a unit.
const RATE_A = /\s{1,2}an?\s+(year|day|month|week|hour)(?![\p{L}\p{N}])(?!\s+(?:earlier|ago|before|later|previously|prior|on|back)\b)/iuy;
const NOT_RATE_WORDS = new Set(['the', 'a', 'an', 'of', 'in', 'on', 'and', 'or', 'to', 'cent']);
const PERIOD_PAREN = new RegExp(
  String.raw`\s{0,2}\(\s*(?:est\.?\s*|estimated\s+|data\s+)?(${YEAR})(?:\s*([-–/])\s*(\d{2,4}))?(?:\s*(?:est\.?|estimated?|estimates?|data|figures?|census|survey|prices|e))?\s*\)`,
  'iy',
);
const PERIOD_PREP = new RegExp(
  String.raw`\s{0,2},?\s{0,2}(?:in|for|during|as\s+of|by|at\s+(?:the\s+)?end\s+of|through|throughout|over)\s+(?:the\s+)?(?:(?:early|mid|late|end)[- ]?\s*)?(?:(?:fiscal|financial|calendar|school|academic)\s+)?(?:years?\s+|FY\s?)?(?:(?:Q[1-4]|H[12])\s+)?(?:${MONTH}\s+)?(${YEAR})(?:\s*([-–/])\s*(\d{2,4}))?(?![\p{L}\p{N}])`,
  'iuy',
);
const PERIOD_DISTANT = new RegExp(
  String.raw`(?:\b(?:in|during|as\s+of|for)\s+(?:the\s+)?(?:(?:fiscal|financial|calendar)\s+)?(?:years?\s+|FY\s?)?(?:${MONTH}\s+)?|\()(${YEAR})(?![\p{L}\p{N}])`,
  'iu',
);
const PERIOD_LEADING = new RegExp(
  String.raw`^\s*(?:In|As\s+of|During|For|By|At\s+the\s+end\s+of)\s+(?:(?:early|mid|late)[- ]?\s*)?(?:${MONTH}\s+)?(${YEAR})(?:\s*([-–/])\s*(\d{2,4}))?(?![\p{L}\p{N}])`,
  'iu',
);

interface Candidate {
  start: number;
  end: number;
  /** Where the number's digits are; ranges and years are judged on them. */
  numberStart: number;
  numberEnd: number;
  digits: string;
  negative: boolean;
  exponent: number;
  currency: string | undefined;
  unit: string;
  rate: string | undefined;
  period: string | undefined;
  bareYear: boolean;
}

/**
 * Finds the statistics in one sentence: percentages, amounts with scale words and currencies,
 * measurements with units, and plain counts, each with its exact span. Years on their own,
 * list and section numbers, page references, dates, times, phone numbers, versions and other
 * identifiers are not returned. Ranges share their unit ("10–20%" gives 10 % and 20 %).
 * Results are in order of position; never throws.
 */
export function findQuantities(sentence: string): Quantity[] {
  const excluded = excludedMask(sentence);
  const found: Candidate[] = [];
  let previous: Candidate | undefined;
  NUMBER.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = NUMBER.exec(sentence)) !== null) {
    const c = candidateAt(sentence, m.index, m[0], excluded);
    if (c === undefined) continue;
    if ('skipTo' in c) {
      NUMBER.lastIndex = Math.max(NUMBER.lastIndex, c.skipTo);
      continue;
    }
    NUMBER.lastIndex = c.end;
    if (previous !== undefined && joinRange(sentence, previous, c)) {
      if (previous.bareYear && c.unit === '' && c.currency === undefined && c.exponent === 0) continue;
    }
    previous = c;
    if (!c.bareYear) found.push(c);
  }
  assignPeriods(sentence, found);
  return found.map((c) => toQuantity(sentence, c));
}

type Scan = Candidate | { skipTo: number } | undefined;

function candidateAt(s: string, numberStart: number, digits: string, excluded: Uint8Array): Scan {
  const numberEnd = numberStart + digits.length;
  const skip = { skipTo: numberEnd };
  for (let k = numberStart; k < numberEnd; k++) if (excluded[k] === 1) return skip;
  const before = s[numberStart - 1] ?? '';
  const after = s[numberEnd] ?? '';
  const next = s[numberEnd + 1] ?? '';
  // Part of a longer token: "A320", ".5" inside "1.2.5", "1,23", "24/7", "1.2.3".
  if (ALNUM.test(before) || (before === '.' && /\d/.test(s[numberStart - 2] ?? ''))) return skip;
  if ((after === '.' || after === ',' || after === '/') && /\d/.test(next)) {
    const run = /[\d.,/]+/y;
    run.lastIndex = numberEnd;
    run.exec(s);
    return { skipTo: run.lastIndex };
  }
  if (before === '/' && /\d/.test(s[numberStart - 2] ?? '')) return skip;

  // Sign and currency before the number.
  let start = numberStart;
  let negative = false;
  let signed = false;
  const signAt = (i: number): boolean => {
    const ch = s[i];
    if (ch !== '-' && ch !== '−' && ch !== '+') return false;
    const b = s[i - 1] ?? '';
    return !ALNUM.test(b) && b !== '-' && b !== ')';
  };
  if (before === '-' || before === '−' || before === '+') {
    if (signAt(numberStart - 1)) {
      negative = before !== '+';
      signed = true;
      start--;
    } else if (LETTER.test(s[numberStart - 2] ?? '')) return skip; // "COVID-19", "B-52"
  }
  let currency: string | undefined;
  if (!signed) {
    const windowStart = Math.max(0, start - 8);
    const cur = CURRENCY_BEFORE.exec(s.slice(windowStart, start));
    if (cur !== null) {
      if (cur[2] !== undefined) currency = CURRENCY_SYMBOL.get(cur[2]);
      else if (cur[3] !== undefined) currency = CURRENCY_SYMBOL.get(cur[3]) ?? cur[3];
      else currency = DOLLAR_PREFIX.get(cur[1] ?? '');
      start = windowStart + cur.index;
      if (signAt(start - 1)) {
        negative = s[start - 1] !== '+';
        signed = true;
        start--;
      }
    }
  }

  // Scale word, unit, currency and rate after the number.
  let q = numberEnd;
  let exponent = 0;
  let unit = '';
  let rate: string | undefined;
  const scaleWord = sticky(SCALE_AFTER, s, q);
  if (scaleWord !== null) {
    exponent = SCALE_WORDS.get((scaleWord[1] ?? '').toLowerCase()) ?? 0;
    q += scaleWord[0].length;
  } else {
    const letter = sticky(SCALE_LETTER, s, q);
    const l = letter?.[1];
    if (letter !== null && l !== undefined && (/[kKMB]/.test(l) || currency !== undefined)) {
      exponent = SCALE_WORDS.get(l.toLowerCase()) ?? 0;
      q += letter[0].length;
    }
  }
  const unitMatch = matchTable(UNITS, s, q);
  if (unitMatch !== undefined) {
    unit = unitMatch.unit;
    q = unitMatch.end;
  } else if (currency === undefined) {
    const written = matchTable(CURRENCY_AFTER, s, q);
    if (written !== undefined) {
      currency = written.unit;
      q = written.end;
    }
  }
  if (q === numberEnd && LETTER.test(s[q] ?? '')) return { skipTo: skipWord(s, q) }; // "5th", "1990s", "3G"
  if (q === numberEnd && s[q] === '-' && LETTER.test(s[q + 1] ?? '')) {
    const compound = sticky(HYPHEN_UNIT, s, q);
    if (compound === null) return { skipTo: skipWord(s, q + 1) }; // "3-D", "2-for-1"
    const word = (compound[1] ?? '').toLowerCase();
    unit = /^(?:years?|months?|weeks?|days?|hours?|minutes?)$/.test(word)
      ? word.replace(/s?$/, 's')
      : word === 'fold' ? 'x' : word === 'person' || word === 'people' ? 'people' : (matchTable(UNITS, word, 0)?.unit ?? word);
    q += compound[0].length;
  }
  const rated = matchRate(s, q);
  if (rated !== undefined) {
    rate = rated.rate;
    q = rated.end;
  }

  const bareYear =
    /^\d{4}$/.test(digits) && Number(digits) >= 1900 && Number(digits) <= 2100 &&
    exponent === 0 && unit === '' && currency === undefined && rate === undefined && !signed;
  // "3.2 Methods" at the start of a sentence is a section number, not a statistic.
  if (
    unit === '' && currency === undefined && exponent === 0 && rate === undefined && digits.includes('.') &&
    s.slice(0, start).trim() === '' && /^\s+\p{Lu}/u.test(s.slice(q, q + 3))
  ) return skip;

  return {
    start, end: q, numberStart, numberEnd, digits, negative, exponent, currency, unit, rate, period: undefined, bareYear,
  };
}

function sticky(re: RegExp, s: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(s);
}

function matchTable(table: readonly UnitPattern[], s: string, at: number): { unit: string; end: number } | undefined {
  for (const p of table) {
    const m = sticky(p.re, s, at);
    if (m !== null) return { unit: unitName(p, m), end: at + m[0].length };
  }
  return undefined;
}

function skipWord(s: string, at: number): number {
  const re = /[\p{L}\p{N}]*/uy;
  re.lastIndex = at;
  re.exec(s);
  return re.lastIndex;
}

/** "per 1,000 people", "per capita", "/kWh", "a year" after a quantity. */
function matchRate(s: string, at: number): { rate: string; end: number } | undefined {
  const a = sticky(RATE_A, s, at);
  if (a !== null) return { rate: (a[1] ?? '').toLowerCase(), end: at + a[0].length };
  const per = sticky(RATE, s, at);
  if (per === null) return undefined;
  let q = at + per[0].length;
  const slash = per[0].includes('/');
  let count = '';
  if (!slash) {
    const n = sticky(RATE_NUMBER, s, q);
    if (n !== null) {
      count = `${groupThousands(n[1] ?? '')} `;
      q += n[0].length;
    }
  }
  const known = matchTable(UNITS, s, q);
  if (known !== undefined && known.unit !== '' && !/^\s/.test(s.slice(q, q + 1))) {
    const word = RATE_WORDS.get(known.unit) ?? known.unit;
    // "per person", but "per 1,000 people".
    return { rate: `${count}${count === '' && word === 'people' ? 'person' : word}`, end: known.end };
  }
  if (slash) return undefined;
  const w = sticky(RATE_WORD, s, q);
  const word = w?.[1];
  if (w === null || word === undefined || NOT_RATE_WORDS.has(word)) return undefined;
  return { rate: `${count}${RATE_WORDS.get(word) ?? word}`, end: q + w[0].length };
}

function groupThousands(digits: string): string {
  const [int = '', frac] = digits.replace(/,/g, '').split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/**
 * When `c` is the second end of a range with `prev` ("10–20%", "$10-20 million", "between 10
 * and 20 percent"), gives the first end the unit, scale and currency written only after the
 * second, and the second the currency written only before the first. Returns whether it was
 * a range.
 */
function joinRange(s: string, prev: Candidate, c: Candidate): boolean {
  const between = s.slice(prev.end, c.start);
  const isRange =
    /^\s?[-–—]\s?$|^\s+to\s+$/.test(between) ||
    (/^\s+and\s+$/.test(between) && /\bbetween\s+\S*$/i.test(s.slice(Math.max(0, prev.start - 12), prev.start + 1)));
  if (!isRange) return false;
  const prevBare = prev.unit === '' && prev.exponent === 0 && prev.rate === undefined;
  if (prevBare && !prev.bareYear) {
    prev.unit = c.unit;
    prev.exponent = c.exponent;
    prev.rate = c.rate;
    prev.currency ??= c.currency;
  }
  c.currency ??= prev.currency;
  return true;
}

function assignPeriods(s: string, found: Candidate[]): void {
  const leading = PERIOD_LEADING.exec(s);
  found.forEach((c, i) => {
    const adjacent = sticky(PERIOD_PAREN, s, c.end) ?? sticky(PERIOD_PREP, s, c.end);
    if (adjacent !== null) {
      c.period = period(adjacent);
      return;
    }
    const windowEnd = found[i + 1]?.start ?? s.length;
    const distant = PERIOD_DISTANT.exec(s.slice(c.end, windowEnd));
    if (distant !== null) c.period = period(distant);
    else if (leading !== null) c.period = period(leading);
  });
}

function period(m: RegExpExecArray): string {
  const [, year = '', sep, second] = m;
  if (second === undefined) return year;
  return `${year}${sep === '/' ? '/' : '-'}${second}`;
}

function toQuantity(s: string, c: Candidate): Quantity {
  const base = c.unit !== '' ? c.unit : (c.currency ?? '');
  const unit = c.rate === undefined ? base : base === '' ? `per ${c.rate}` : `${base} per ${c.rate}`;
  const q: Quantity = { value: scaled(c.digits, c.exponent, c.negative), unit, raw: s.slice(c.start, c.end), start: c.start, end: c.end };
  if (c.period !== undefined) q.period = c.period;
  return q;
}

function excludedMask(s: string): Uint8Array {
  const mask = new Uint8Array(s.length);
  for (const re of EXCLUDED) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null) {
      if (m[0] === '') {
        re.lastIndex++;
        continue;
      }
      mask.fill(1, m.index, m.index + m[0].length);
    }
  }
  return mask;
}
