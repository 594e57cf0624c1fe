import type { CandidateStatistic__Output } from '@stats-agent/proto';
import { findQuantities, splitSentences, type PageText } from '@stats-agent/text';

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
  for (const sentence of splitSentences(page.text)) {
    if (sentence.text.length > 600) continue;
    const quantities = findQuantities(sentence.text);
    if (quantities.length === 0) continue;
    const heading = headingBefore(page, sentence.start);
    const relevance = 0.6 * termOverlap(terms, sentence.text) + 0.25 * termOverlap(terms, heading ?? '') + 0.15 * titleScore;
    for (const q of quantities) {
      out.push({
        name: nameFor(heading, sentence.text, q.start),
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
