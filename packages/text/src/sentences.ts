/** A sentence of a text: `text` is `input.slice(start, end)`, without surrounding whitespace. */
export interface Sentence {
  start: number;
  end: number;
  text: string;
}

// Abbreviations after which a period does not end a sentence (lower case, without the final
// period). "no", "p" and "pp" count only before a number ("No. 5", "p. 12").
const ABBREVIATIONS = new Set([
  'e.g', 'i.e', 'u.s', 'u.k', 'u.n', 'e.u', 'mr', 'mrs', 'ms', 'dr', 'prof', 'st', 'jr', 'sr',
  'approx', 'est', 'vs', 'cf', 'ca', 'fig', 'figs', 'vol', 'vols', 'ed', 'eds', 'al', 'gen', 'gov',
  'sen', 'rep', 'rev', 'mt', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct',
  'nov', 'dec', 'dept', 'corp', 'inc', 'ltd', 'co',
]);
const BEFORE_NUMBER_ONLY = new Set(['no', 'nos', 'p', 'pp', 'art', 'sec', 'ch']);
const DOTTED = /^(?:\p{L}{1,2}\.)+\p{L}{1,2}$/u;
const INITIAL = /^\p{Lu}$/u;
const LIST_NUMBER = /^(?:\d{1,3}|[a-zA-Z]|(?=[ivx]+$)x{0,3}(?:ix|iv|v?i{0,3})|(?=[IVX]+$)X{0,3}(?:IX|IV|V?I{0,3}))(?:\.\d{1,3})*$/;
const OPENERS = /^["'“‘«([]+/;
const SENTENCE_START = /[\p{Lu}\p{Lt}\p{N}"'“‘«([¿¡]/u;
const MAX_TOKEN = 24;

function isLineBreak(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12 || c === 0xa0 || c === 0x202f || (c >= 0x2000 && c <= 0x200a) || c === 0x3000;
}
function isTerminal(c: number): boolean {
  return c === 46 || c === 33 || c === 63; // . ! ?
}
function isCloser(ch: string): boolean {
  return ch === '"' || ch === "'" || ch === '”' || ch === '’' || ch === ')' || ch === ']' || ch === '»';
}

/**
 * Splits text into sentences. A sentence ends at a line break, or at . ! ? (with any closing
 * quotes or brackets) followed by whitespace and an upper-case letter, a digit or an opening
 * quote. A period does not end a sentence inside a decimal ("3.5"), after a known abbreviation
 * ("e.g.", "U.S.", "Dr.", "approx.", "est.", "No. 5"), after an initial ("J. Smith") or after a
 * list number at the start of a line ("1. First"). Offsets refer to `text`. Linear time.
 */
export function splitSentences(text: string): Sentence[] {
  const out: Sentence[] = [];
  const n = text.length;
  const push = (from: number, to: number): void => {
    let s = from;
    let e = to;
    while (s < e && (isSpace(text.charCodeAt(s)) || isLineBreak(text.charCodeAt(s)) || text.charCodeAt(s) === 0xfeff)) s++;
    while (e > s && (isSpace(text.charCodeAt(e - 1)) || isLineBreak(text.charCodeAt(e - 1)))) e--;
    if (e > s) out.push({ start: s, end: e, text: text.slice(s, e) });
  };

  let sentenceStart = 0;
  let lineStart = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (isLineBreak(c)) {
      push(sentenceStart, i);
      sentenceStart = i + 1;
      lineStart = i + 1;
      continue;
    }
    if (!isTerminal(c)) continue;
    // Take the whole run of terminal punctuation and closing quotes/brackets: `?!`, `."`, `.)`.
    let j = i + 1;
    while (j < n && (isTerminal(text.charCodeAt(j)) || isCloser(text[j] ?? ''))) j++;
    if (j >= n || !isSpace(text.charCodeAt(j))) {
      i = j - 1;
      continue;
    }
    let k = j;
    while (k < n && isSpace(text.charCodeAt(k))) k++;
    if (k >= n || isLineBreak(text.charCodeAt(k)) || !SENTENCE_START.test(text[k] ?? '')) {
      i = k - 1;
      continue;
    }
    if (c === 46 && j === i + 1 && !endsSentence(text, i, lineStart, k)) {
      i = k - 1;
      continue;
    }
    push(sentenceStart, j);
    sentenceStart = j;
    i = k - 1;
  }
  push(sentenceStart, n);
  return out;
}

/** Whether the period at `dot` ends a sentence; `next` is where the following word starts. */
function endsSentence(text: string, dot: number, lineStart: number, next: number): boolean {
  let s = dot;
  while (s > lineStart && dot - s <= MAX_TOKEN && !isSpace(text.charCodeAt(s - 1))) s--;
  if (dot - s > MAX_TOKEN) return true;
  const raw = text.slice(s, dot);
  const token = raw.replace(OPENERS, '');
  if (token === '') return true;
  const lower = token.toLowerCase();
  if (ABBREVIATIONS.has(lower) || DOTTED.test(token) || INITIAL.test(token)) return false;
  if (BEFORE_NUMBER_ONLY.has(lower) && /\d/.test(text[next] ?? '')) return false;
  if (s - lineStart <= MAX_TOKEN && LIST_NUMBER.test(token) && text.slice(lineStart, s).trim() === '') return false;
  return true;
}
