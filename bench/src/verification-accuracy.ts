#!/usr/bin/env node
/**
 * Verification accuracy on a labelled claim set built from real pages, beside the reference
 * system's rule (a claim is verified when its excerpt occurs in the fetched page body) in the
 * same run. Pages are served by the corpus server on loopback and fetched with the agents'
 * own fetcher, once each. Also reports how fast page text is verified.
 *
 *   pnpm --filter @stats-agent/bench bench:verify      (CLAIMS_PER_PAGE=2, FACTBOOK_DIR=…)
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { documentUrl, listDocuments, sampleCorpusDir, startCorpusServer } from '@stats-agent/corpus';
import type { CandidateStatistic__Output } from '@stats-agent/proto';
import { PageFetcher, fetchFailureReason } from '@stats-agent/safe-fetch';
import { findQuantities, pageText, splitSentences } from '@stats-agent/text';
import { judge, snapshot, type PageSnapshot } from '@stats-agent/verifier';
import { machine, runBench, writeReport } from './machine.js';

const VERIFIER = 'spiffe://stats-agent.local/ns/stats-agent/sa/verification';
const CLAIMS_PER_PAGE = Number(process.env['CLAIMS_PER_PAGE'] ?? 2);
const FACTBOOK = process.env['FACTBOOK_DIR'] ?? fileURLToPath(new URL('../../../shared/corpus/factbook/', import.meta.url));

type Category =
  | 'true_verbatim'
  | 'true_whitespace'
  | 'true_quotes_dashes'
  | 'true_entities'
  | 'true_scaled_value'
  | 'false_value_changed'
  | 'false_digit_in_excerpt'
  | 'false_wrong_page'
  | 'false_missing_page'
  | 'false_invented_sentence';

interface Claim {
  category: Category;
  expected: boolean;
  candidate: CandidateStatistic__Output;
}

interface Page {
  url: string;
  body: string;
  text: string;
}

/** Deterministic choices, so every run judges the same claims. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function variants(sentence: string): Partial<Record<Category, string>> {
  const out: Partial<Record<Category, string>> = {};
  const words = sentence.split(' ');
  if (words.length > 4) {
    const mid = Math.floor(words.length / 2);
    out.true_whitespace = `${words.slice(0, mid).join('  ')}\n${words.slice(mid).join(' ')}`;
  }
  if (/['"’“”–—-]/.test(sentence)) {
    // Swap straight and curly apostrophes both ways, straighten double quotes and dashes.
    out.true_quotes_dashes = sentence
      .replace(/['’]/g, (c) => (c === "'" ? '’' : "'"))
      .replace(/[“”]/g, '"')
      .replace(/[–—]/g, '-');
  }
  out.true_entities = sentence.replace(/&/g, '&amp;').replace(/ (?=\d)/, '&nbsp;').replace(/’/g, '&rsquo;');
  return out;
}

function changeDigit(raw: string, r: () => number): string | undefined {
  const digits = [...raw.matchAll(/\d/g)];
  if (digits.length === 0) return undefined;
  const d = digits[Math.floor(r() * digits.length)] as RegExpMatchArray;
  const i = d.index ?? 0;
  const next = String((Number(d[0]) + 1 + Math.floor(r() * 8)) % 10);
  return raw.slice(0, i) + next + raw.slice(i + 1);
}

function buildClaims(pages: Page[], base: string, r: () => number): Claim[] {
  const claims: Claim[] = [];
  pages.forEach((page, pi) => {
    const stats = splitSentences(page.text)
      .filter((s) => s.text.length >= 20 && s.text.length <= 400)
      .flatMap((s) => findQuantities(s.text).map((q) => ({ s, q })));
    for (let k = 0; k < CLAIMS_PER_PAGE && stats.length > 0; k++) {
      const { s, q } = stats.splice(Math.floor(r() * stats.length), 1)[0] as (typeof stats)[number];
      const c: CandidateStatistic__Output = { name: 'x', value: q.value, unit: q.unit, source: 's', source_url: page.url, excerpt: s.text, period: '', relevance: 0 };
      claims.push({ category: /million|billion|trillion|thousand|bn\b/i.test(q.raw) ? 'true_scaled_value' : 'true_verbatim', expected: true, candidate: c });
      for (const [cat, excerpt] of Object.entries(variants(s.text))) {
        if (excerpt !== s.text) claims.push({ category: cat as Category, expected: true, candidate: { ...c, excerpt } });
      }
      const wrong = q.value === 0 ? 1 : q.value * (1.1 + r());
      claims.push({ category: 'false_value_changed', expected: false, candidate: { ...c, value: wrong } });
      const changedRaw = changeDigit(q.raw, r);
      if (changedRaw) {
        const excerpt = s.text.slice(0, q.start) + changedRaw + s.text.slice(q.end);
        if (!page.text.includes(excerpt)) claims.push({ category: 'false_digit_in_excerpt', expected: false, candidate: { ...c, excerpt } });
      }
      const other = pages[(pi + 1 + Math.floor(r() * (pages.length - 1))) % pages.length] as Page;
      if (other.url !== page.url && !other.text.includes(s.text)) {
        claims.push({ category: 'false_wrong_page', expected: false, candidate: { ...c, source_url: other.url } });
      }
      claims.push({ category: 'false_missing_page', expected: false, candidate: { ...c, source_url: `${base}/missing/${pi}.html` } });
      claims.push({
        category: 'false_invented_sentence',
        expected: false,
        candidate: { ...c, excerpt: `The regional widget index reached ${q.raw} in the survey year, according to the bureau.` },
      });
    }
  });
  return claims;
}

async function runCorpus(name: string, dir: string) {
  const server = await startCorpusServer({ dir, port: 0 });
  // The corpus server is on loopback: allow exactly its host:port, nothing else.
  const fetcher = new PageFetcher({ maxBytes: 10 * 1024 * 1024, timeoutMs: 20_000, allow: [new URL(server.url).host] });
  try {
    const docs = await listDocuments(dir);
    const pages: Page[] = [];
    const snapshots = new Map<string, PageSnapshot>();
    const bodies = new Map<string, string>();
    const fetchStarted = performance.now();
    const fetchOne = async (url: string): Promise<void> => {
      if (snapshots.has(url)) return;
      try {
        const page = await fetcher.fetch(url);
        const text = pageText(page.text, page.contentType).text;
        snapshots.set(url, snapshot(text, page.fetchedAt));
        bodies.set(url, page.text);
      } catch (err) {
        snapshots.set(url, { ok: false, reason: fetchFailureReason(err), fetchedAt: new Date() });
      }
    };
    for (const d of docs) {
      const url = documentUrl(server.url, d.path);
      await fetchOne(url);
      const s = snapshots.get(url);
      if (s?.ok) pages.push({ url, body: bodies.get(url) ?? '', text: s.text });
    }
    const fetchMs = performance.now() - fetchStarted;
    const claims = buildClaims(pages, server.url, rng(20261124));
    for (const c of claims) await fetchOne(c.candidate.source_url);

    const byCategory = new Map<Category, { n: number; ours: number; reference: number }>();
    let judgedBytes = 0;
    let judgeMs = 0;
    for (const c of claims) {
      const snap = snapshots.get(c.candidate.source_url) as PageSnapshot;
      const t = performance.now();
      const verdict = judge(c.candidate, snap, VERIFIER);
      judgeMs += performance.now() - t;
      if (snap.ok) judgedBytes += Buffer.byteLength(snap.text);
      const body = bodies.get(c.candidate.source_url);
      const reference = body !== undefined && body.includes(c.candidate.excerpt);
      const row = byCategory.get(c.category) ?? { n: 0, ours: 0, reference: 0 };
      row.n++;
      if (verdict.verified === c.expected) row.ours++;
      if (reference === c.expected) row.reference++;
      byCategory.set(c.category, row);
    }
    const pct = (a: number, n: number) => Math.round((a / n) * 10000) / 100;
    const categories = [...byCategory.entries()].map(([category, r]) => ({
      category,
      claims: r.n,
      ours_pct: pct(r.ours, r.n),
      reference_pct: pct(r.reference, r.n),
    }));
    return {
      corpus: name,
      pages: pages.length,
      claims: claims.length,
      fetch_ms: Math.round(fetchMs),
      verify_mb_per_s: Math.round((judgedBytes / 1e6 / (judgeMs / 1000)) * 10) / 10,
      categories,
    };
  } finally {
    await fetcher.close();
    await server.close();
  }
}

async function main(): Promise<void> {
  const corpora: Array<[string, string]> = [['sample', sampleCorpusDir()]];
  if (existsSync(FACTBOOK)) corpora.push(['factbook', FACTBOOK]);
  else process.stderr.write(`factbook corpus not found at ${FACTBOOK}; set FACTBOOK_DIR to include it\n`);
  const results = [];
  for (const [name, dir] of corpora) {
    process.stderr.write(`${name}: building and judging claims…\n`);
    results.push(await runCorpus(name, dir));
  }
  const report = { benchmark: 'verification accuracy, ours vs the reference rule (excerpt substring of the fetched body)', machine: machine(), claims_per_page: CLAIMS_PER_PAGE, results };
  const md = [
    '# Verification accuracy',
    '',
    'Claims built from each page (true ones verbatim and with formatting variants; false ones with a changed value, a changed digit in the excerpt, the right excerpt on the wrong page, a missing page, an invented sentence), judged by `@stats-agent/verifier` and by the reference system\'s rule (the excerpt occurs in the fetched page body) in the same run. A claim is correct when its verdict equals its label. Reproduce: `pnpm --filter @stats-agent/bench bench:verify`.',
    '',
    ...results.flatMap((r) => [
      `## ${r.corpus}: ${r.pages} pages, ${r.claims} claims; page text verified at ${r.verify_mb_per_s} MB/s on one core`,
      '',
      '| category | claims | ours % correct | reference % correct |',
      '|---|---|---|---|',
      ...r.categories.map((c) => `| ${c.category} | ${c.claims} | ${c.ours_pct} | ${c.reference_pct} |`),
      '',
    ]),
  ].join('\n');
  await writeReport('verification-accuracy', report, md);
}

runBench(main);
