import { createHash } from 'node:crypto';
import type { CandidateStatistic__Output, VerificationResult } from '@stats-agent/proto';
import { findQuantities, locateExcerpt, type Quantity } from '@stats-agent/text';

/** Machine-readable verdicts. Only `verified` means verified. */
export type Reason =
  | 'verified'
  | 'source_unreachable'
  | 'excerpt_not_found'
  | 'value_not_in_excerpt'
  | 'value_mismatch'
  | 'unit_mismatch';

export type PageSnapshot =
  | { ok: true; text: string; sha256: string; fetchedAt: Date }
  | { ok: false; reason: string; fetchedAt: Date };

export function snapshot(text: string, fetchedAt: Date): PageSnapshot {
  return { ok: true, text, sha256: createHash('sha256').update(text, 'utf8').digest('hex'), fetchedAt };
}

const FIRST_NUMBER = /(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?/;

/**
 * Half a unit of the last digit printed, at the printed scale: "12.4%" → 0.05, "1.2 million"
 * → 50,000, "12,400" → 0.5. A claimed value within it of the printed one is that number.
 */
export function printedTolerance(q: Quantity): number {
  const m = FIRST_NUMBER.exec(q.raw.replace(/[^\d.,]+/g, ' ').trim());
  const token = m?.[0] ?? '';
  const decimals = m?.[1]?.length ?? 0;
  const printed = Number.parseFloat(token.replace(/,/g, ''));
  const scale = Number.isFinite(printed) && printed !== 0 ? Math.abs(q.value / printed) : 1;
  return 0.5 * 10 ** -decimals * scale;
}

function sameValue(q: Quantity, claimed: number): boolean {
  if (q.value === claimed) return true;
  // Relative epsilon for float noise, then the rounding of what is printed.
  return Math.abs(q.value - claimed) <= Math.max(1e-9 * Math.abs(q.value), printedTolerance(q) * (1 + 1e-9));
}

function sameUnit(claimed: string, found: string): boolean {
  return claimed.trim().toLowerCase() === found.trim().toLowerCase();
}

/**
 * Judges one candidate against the page as the verifier fetched it: the excerpt must be in the
 * page text (exactly, or after whitespace/quote/dash normalization) and the claimed value must
 * be one of the numbers printed in that passage, with the same unit. When in doubt: not verified.
 */
export function judge(candidate: CandidateStatistic__Output, page: PageSnapshot, verifierId: string): VerificationResult {
  const base = { candidate, verifier_id: verifierId, fetched_at: page.fetchedAt.toISOString() };
  if (!page.ok) {
    return { ...base, verified: false, reason: 'source_unreachable', message: `source could not be fetched: ${page.reason}` };
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
