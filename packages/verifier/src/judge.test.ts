import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sourceFailureReason, judge, precisionOf, snapshot } from './judge.js';

const VERIFIER = 'spiffe://stats-agent.local/ns/stats-agent/sa/verification';
const page = snapshot(
  'Solar power\nSolar panels generated 5.5% of the world\u2019s electricity in 2023, up from 4.6% a year earlier. Capacity reached 1,420 GW.',
  new Date('2026-01-01T00:00:00Z'),
);
const base = {
  name: 'Solar share',
  value: 5.5,
  unit: '%',
  source: 'Energy Office',
  source_url: 'http://127.0.0.1:1/solar.html',
  excerpt: 'Solar panels generated 5.5% of the world\u2019s electricity in 2023, up from 4.6% a year earlier.',
  period: '2023',
  relevance: 1,
};

test('verified when the excerpt and the value are in the page; offsets and hash reported', { timeout: 5000 }, () => {
  const r = judge(base, page, VERIFIER);
  assert.equal(r.verified, true);
  assert.equal(r.reason, 'verified');
  assert.ok(page.ok);
  assert.equal(page.text.slice(r.excerpt_start ?? -1, r.excerpt_end ?? -1), base.excerpt);
  assert.match(r.text_sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.equal(r.verifier_id, VERIFIER);
  assert.equal(r.fetched_at, '2026-01-01T00:00:00.000Z');
});

test('an excerpt with straight quotes and extra spaces is still found, at the original offsets', { timeout: 5000 }, () => {
  const r = judge({ ...base, excerpt: "Solar panels generated  5.5% of the world's electricity in 2023,\nup from 4.6% a year earlier." }, page, VERIFIER);
  assert.equal(r.verified, true);
  assert.ok(page.ok);
  assert.equal(page.text.slice(r.excerpt_start ?? -1, r.excerpt_end ?? -1), base.excerpt);
});

test('a real excerpt with a wrong value is not verified', { timeout: 5000 }, () => {
  const r = judge({ ...base, value: 6.5 }, page, VERIFIER);
  assert.equal(r.verified, false);
  assert.equal(r.reason, 'value_mismatch');
  assert.match(r.message ?? '', /5\.5%, 4\.6%/);
});

test('an excerpt that states no number cannot verify a value', { timeout: 5000 }, () => {
  const p = snapshot('Solar power grew strongly. Wind followed.', new Date());
  const r = judge({ ...base, excerpt: 'Solar power grew strongly.' }, p, VERIFIER);
  assert.equal(r.reason, 'value_not_in_excerpt');
});

test('a value is the printed number, or that number rounded to the claim\'s precision — never more precise', { timeout: 5000 }, () => {
  const excerpt = 'Capacity reached 1.2 million homes, 1,234,567 people and 12,400 jobs, or 12.4% of the total.';
  const p = snapshot(excerpt, new Date());
  const verdict = (value: number, unit: string) => judge({ ...base, excerpt, value, unit }, p, VERIFIER).reason;
  assert.equal(verdict(1_200_000, 'homes'), 'verified', 'the scale word applied');
  assert.equal(verdict(1_250_000, 'homes'), 'value_mismatch', 'more precise than the printed 1.2 million');
  assert.equal(verdict(1_000_000, 'homes'), 'verified', '1 million is 1.2 million rounded to its own precision');
  assert.equal(verdict(1_200_000, 'people'), 'verified', 'a rounding of 1,234,567');
  assert.equal(verdict(1_300_000, 'people'), 'value_mismatch');
  assert.equal(verdict(12_400, 'jobs'), 'verified');
  assert.equal(verdict(12_401, 'jobs'), 'value_mismatch');
  assert.equal(verdict(12_400, 'homes'), 'unit_mismatch');
  assert.equal(verdict(12.4, '%'), 'verified');
  assert.equal(verdict(12, '%'), 'verified', '12% rounds the printed 12.4%');
  assert.equal(verdict(12.44, '%'), 'value_mismatch', 'more precise than the page');
  assert.equal(verdict(12.5, '%'), 'value_mismatch');
  assert.equal(verdict(1.2, ''), 'value_mismatch', 'the scale word is part of the value');
});

test('precision of a claimed number', { timeout: 5000 }, () => {
  assert.equal(precisionOf(3.3), 0.05);
  assert.equal(precisionOf(1_230_000), 5000);
  assert.equal(precisionOf(3), 0.5);
  assert.equal(precisionOf(0), 0.5);
  assert.equal(precisionOf(-40), 5);
});

test('the right number with the wrong unit is not verified', { timeout: 5000 }, () => {
  const r = judge({ ...base, unit: 'GW' }, page, VERIFIER);
  assert.equal(r.verified, false);
  assert.equal(r.reason, 'unit_mismatch');
});

test('an excerpt that is not in the page is not verified', { timeout: 5000 }, () => {
  const r = judge({ ...base, excerpt: 'Solar panels generated 9.9% of all power.' }, page, VERIFIER);
  assert.equal(r.verified, false);
  assert.equal(r.reason, 'excerpt_not_found');
  assert.equal(r.excerpt_start, undefined);
});

test('an unreachable source is not verified', { timeout: 5000 }, () => {
  const r = judge(base, { ok: false, reason: 'fetch_timeout', fetchedAt: new Date() }, VERIFIER);
  assert.equal(r.verified, false);
  assert.equal(r.reason, 'source_unreachable');
  assert.match(r.message ?? '', /fetch_timeout/);
});

test('a page that came back unreadable or was refused has its own reason', { timeout: 5000 }, () => {
  const at = new Date();
  const cases: [string, string][] = [
    ['page_binary', 'source_unreadable'],
    ['page_malformed', 'source_unreadable'],
    ['page_encrypted', 'source_unreadable'],
    ['fetch_too_large', 'source_unreadable'],
    ['fetch_content_type', 'source_unreadable'],
    ['fetch_address', 'source_refused'],
    ['fetch_scheme', 'source_refused'],
    ['fetch_http_status', 'source_unreachable'],
    ['fetch_network', 'source_unreachable'],
    ['something_new', 'source_unreachable'],
  ];
  for (const [code, reason] of cases) {
    const r = judge(base, { ok: false, reason: code, fetchedAt: at }, VERIFIER);
    assert.equal(r.verified, false, code);
    assert.equal(r.reason, reason, code);
    assert.match(r.message ?? '', new RegExp(code), code);
    assert.equal(sourceFailureReason(code), reason);
  }
});
