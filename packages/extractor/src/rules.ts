import type { CandidateStatistic__Output } from '@stats-agent/proto';
import { findQuantities, splitSentences, type PageText, type TableText } from '@stats-agent/text';

const STOP = new Set('a an and are as at be by for from has have in is it its of on or that the to was were with about'.split(' '));

export function topicTerms(topic: string): string[] {
  return [...new Set(topic.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 1 && !STOP.has(t)))];
}

/** Share of topic terms (or their 5-letter stems) present in `text`, 0..1. */
export function termOverlap(terms: string[], text: string): number {
  if (terms.length === 0) return 0;
  const lower = text.toLowerCase();
  const hits = terms.filter((t) => lower.includes(t.length > 5 ? t.slice(0, 5) : t)).length;
  return hits / terms.length;
}

function headingBefore(page: PageText, offset: number): string | undefined {
  let found: string | undefined;
  for (const h of page.headings) {
    if (h.offset <= offset) found = h.text;
    else break;
  }
  return found;
}

/** A short descriptive name: the heading the sentence sits under, and the words before the number. */
function nameFor(heading: string | undefined, sentence: string, quantityStart: number): string {
  const before = sentence
    .slice(0, quantityStart)
    .replace(/[,;:(]\s*$/, '')
    .split(/\s+/)
    .filter(Boolean)
    .slice(-8)
    .join(' ')
    .replace(/\b(was|were|is|are|reached|rose to|fell to|stood at|of|to|by|at|about|around|nearly|almost)$/i, '')
    .trim();
  const phrase = before.length >= 8 ? before : sentence.slice(0, 80).trim();
  return heading && !phrase.toLowerCase().includes(heading.toLowerCase()) ? `${heading}: ${phrase}` : phrase;
}

interface RowAt {
  table: TableText;
  cells: string[];
}

/** Each data row of the page's tables by the line it renders as (non-empty cells joined by spaces). */
function rowsByLine(page: PageText): Map<string, RowAt> {
  const rows = new Map<string, RowAt>();
  for (const table of page.tables ?? []) {
    for (const cells of table.rows) rows.set(cells.filter((c) => c !== '').join(' '), { table, cells });
  }
  return rows;
}

/**
 * The name of a number in a table cell: the table's caption (else the heading above it), the row's
 * label (its first cell, when that is not the number itself) and the column's header, which often
 * carries the unit or scale ("GDP (US$ billions)"): "Headline indicators: Vacancies — Level".
 */
function nameForCell(at: RowAt, raw: string, heading: string | undefined): string | undefined {
  const col = at.cells.findIndex((c) => c.includes(raw));
  if (col < 0) return undefined;
  const rowLabel = col > 0 ? at.cells[0] : undefined;
  const header = at.table.headers[col];
  const context = at.table.caption || heading;
  const what = [rowLabel, header].filter((p): p is string => p !== undefined && p !== '').join(' — ');
  if (what === '') return undefined;
  return context && !what.toLowerCase().includes(context.toLowerCase()) ? `${context}: ${what}` : what;
}

export interface ExtractOptions {
  topic: string;
  sourceName: string;
  sourceUrl: string;
  maxCandidates: number;
}

/**
 * Rule-based extraction: every quantity in every sentence of the page becomes a candidate
 * with that sentence as its verbatim excerpt, named from its heading and context, scored by
 * how much of the topic the sentence, its heading and the page title mention.
 */
export function extractCandidates(page: PageText, opts: ExtractOptions): CandidateStatistic__Output[] {
  const terms = topicTerms(opts.topic);
  const titleScore = termOverlap(terms, page.title);
  const out: CandidateStatistic__Output[] = [];
  const rows = rowsByLine(page);
  for (const sentence of splitSentences(page.text)) {
    if (sentence.text.length > 600) continue;
    const quantities = findQuantities(sentence.text);
    if (quantities.length === 0) continue;
    const heading = headingBefore(page, sentence.start);
    const row = rows.get(sentence.text.trim());
    const context = row ? `${row.table.caption} ${row.table.headers.join(' ')}` : '';
    const relevance =
      0.6 * termOverlap(terms, `${sentence.text} ${context}`) + 0.25 * termOverlap(terms, heading ?? '') + 0.15 * titleScore;
    for (const q of quantities) {
      out.push({
        name: (row && nameForCell(row, q.raw, heading)) || nameFor(heading, sentence.text, q.start),
        value: q.value,
        unit: q.unit,
        source: opts.sourceName,
        source_url: opts.sourceUrl,
        excerpt: sentence.text.trim(),
        period: q.period ?? '',
        relevance: Math.round(relevance * 1000) / 1000,
      });
    }
  }
  out.sort((a, b) => b.relevance - a.relevance);
  return out.slice(0, opts.maxCandidates);
}
