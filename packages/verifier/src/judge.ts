import { createHash } from 'node:crypto';
import type { CandidateStatistic__Output, VerificationResult } from '@stats-agent/proto';
import { findQuantities, locateExcerpt, type Quantity } from '@stats-agent/text';

/** Machine-readable verdicts. Only `verified` means verified. */
export type Reason =
  | 'verified'
  | 'source_unreachable'
  | 'source_refused'
  | 'source_unreadable'
  | 'excerpt_not_found'
  | 'value_not_in_excerpt'
  | 'value_mismatch'
  | 'unit_mismatch';

export type PageSnapshot =
  | { ok: true; text: string; sha256: string; fetchedAt: Date }
  | { ok: false; reason: string; fetchedAt: Date };

/** Fetch or read failures that mean the page came back but has no text to check against. */
const UNREADABLE = new Set(['fetch_too_large', 'fetch_content_type']);
/** Fetch failures that are the fetch policy saying no (SSRF protection), not the network. */
const REFUSED = new Set(['fetch_scheme', 'fetch_credentials', 'fetch_address', 'fetch_port', 'fetch_invalid_url']);

/**
 * The verdict reason for a page that could not be used, from the fetcher's or the text reader's
 * code (`fetch_timeout`, `fetch_too_large`, `page_binary`, …): `source_refused` when the fetch
 * policy refused the URL or its address, `source_unreadable` when the page arrived but is too
 * large, of a type not read, binary, malformed or encrypted, else `source_unreachable`.
 */
export function sourceFailureReason(code: string): Reason {
  if (code.startsWith('page_') || UNREADABLE.has(code)) return 'source_unreadable';
  if (REFUSED.has(code)) return 'source_refused';
  return 'source_unreachable';
}

export function snapshot(text: string, fetchedAt: Date): PageSnapshot {
  return { ok: true, text, sha256: createHash('sha256').update(text, 'utf8').digest('hex'), fetchedAt };
}

function sameUnit(claimed: string, found: string): boolean {
  return claimed.trim().toLowerCase() === found.trim().toLowerCase();
}

/**
 * Half a unit of the last significant digit of `n` as written in the shortest decimal form:
 * 3.3 → 0.05, 1230000 → 5000, 1200000 → 50000, 3 → 0.5.
 */
export function precisionOf(n: number): number {
  const text = Math.abs(n).toString();
  if (/e/i.test(text)) return Math.abs(n) * 1e-15;
  const [int = '', frac = ''] = text.split('.');
  if (frac.length > 0) return 0.5 * 10 ** -frac.length;
  const zeros = int.length - int.replace(/0+$/, '').length;
  return 0.5 * 10 ** Math.min(zeros, int.length - 1);
}

/**
 * The claimed value is the printed number when equal (scale words applied: "1.2 million" =
 * 1,200,000), or when it is that number rounded to the claim's own precision ("12%" for a
 * printed "12.4%", 1,200,000 for "1,234,567"). A claim more precise than the page (3.3 for a
 * printed "3%", 1,230,000 for "1.2 million") is not what the page says.
 */
function sameValue(q: Quantity, claimed: number): boolean {
  const diff = Math.abs(q.value - claimed);
  if (diff <= 1e-9 * Math.max(Math.abs(q.value), Math.abs(claimed))) return true;
  return diff <= precisionOf(claimed) * (1 + 1e-9);
}

/**
 * Judges one candidate against the page as the verifier fetched it: the excerpt must be in the
 * page text (exactly, or after whitespace/quote/dash normalization) and the claimed value must
 * be one of the numbers printed in that passage, with the same unit. When in doubt: not verified.
 */
export function judge(candidate: CandidateStatistic__Output, page: PageSnapshot, verifierId: string): VerificationResult {
  const base = { candidate, verifier_id: verifierId, fetched_at: page.fetchedAt.toISOString() };
  if (!page.ok) {
    const reason = sourceFailureReason(page.reason);
    const what = reason === 'source_unreadable' ? 'could not be read' : reason === 'source_refused' ? 'was refused by the fetch policy' : 'could not be fetched';
    return { ...base, verified: false, reason, message: `source ${what}: ${page.reason}` };
  }
  const excerpt = candidate.excerpt;
  const where = locateExcerpt(page.text, excerpt);
  if (!where) {
    return { ...base, verified: false, reason: 'excerpt_not_found', message: 'the excerpt does not occur in the page text', text_sha256: page.sha256 };
  }
  const located = { ...base, text_sha256: page.sha256, excerpt_start: where.start, excerpt_end: where.end };
  const quantities = findQuantities(page.text.slice(where.start, where.end));
  if (quantities.length === 0) {
    return { ...located, verified: false, reason: 'value_not_in_excerpt', message: 'the excerpt as printed in the page states no number' };
  }
  const matching = quantities.filter((q) => sameValue(q, candidate.value));
  if (matching.length === 0) {
    const printed = quantities.map((q) => q.raw).slice(0, 5).join(', ');
    return { ...located, verified: false, reason: 'value_mismatch', message: `${candidate.value} is not among the numbers printed in the excerpt (${printed})` };
  }
  if (!matching.some((q) => sameUnit(candidate.unit, q.unit))) {
    const units = [...new Set(matching.map((q) => q.unit || '(none)'))].join(', ');
    return { ...located, verified: false, reason: 'unit_mismatch', message: `the value is printed with unit ${units}, not ${candidate.unit || '(none)'}` };
  }
  return { ...located, verified: true, reason: 'verified', message: where.exact ? 'excerpt and value found' : 'excerpt found after normalization; value found' };
}
