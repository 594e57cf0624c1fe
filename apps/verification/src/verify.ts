import { createHash } from 'node:crypto';
import type { CandidateStatistic__Output, VerificationResult } from '@stats-agent/proto';
import { findQuantities, locateExcerpt } from '@stats-agent/text';

/** Machine-readable verdicts. Only `verified` means verified. */
export type Reason = 'verified' | 'source_unreachable' | 'excerpt_not_found' | 'value_not_in_excerpt' | 'unit_mismatch';

export type PageSnapshot =
  | { ok: true; text: string; sha256: string; fetchedAt: Date }
  | { ok: false; reason: string; fetchedAt: Date };

export function snapshot(text: string, fetchedAt: Date): PageSnapshot {
  return { ok: true, text, sha256: createHash('sha256').update(text, 'utf8').digest('hex'), fetchedAt };
}

function sameValue(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
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
  const matching = quantities.filter((q) => sameValue(q.value, candidate.value));
  if (matching.length === 0) {
    return { ...located, verified: false, reason: 'value_not_in_excerpt', message: `no number equal to ${candidate.value} is printed in the excerpt` };
  }
  if (!matching.some((q) => sameUnit(candidate.unit, q.unit))) {
    const units = [...new Set(matching.map((q) => q.unit || '(none)'))].join(', ');
    return { ...located, verified: false, reason: 'unit_mismatch', message: `the value is printed with unit ${units}, not ${candidate.unit || '(none)'}` };
  }
  return { ...located, verified: true, reason: 'verified', message: where.exact ? 'excerpt and value found' : 'excerpt found after normalization; value found' };
}
