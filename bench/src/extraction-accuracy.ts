#!/usr/bin/env node
/**
 * Extraction accuracy against hand labels: every statistic an analyst would take from the main
 * content of each sample-corpus page (packages/corpus/sample/labels.json) beside the candidates
 * the rule-based extractor returns for that page. A label is found when a candidate has its
 * value and an excerpt containing the label's sentence fragment; units are scored apart.
 *
 *   pnpm --filter @stats-agent/bench bench:extract
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contentTypeFor, sampleCorpusDir } from '@stats-agent/corpus';
import { extractCandidates } from '@stats-agent/extractor';
import type { CandidateStatistic__Output } from '@stats-agent/proto';
import { readPage } from '@stats-agent/text';
import { machine, runBench, writeReport } from './machine.js';

const MAX_CANDIDATES = 1000;
const LISTED = 20;
const SNIPPET = 140;

interface Label {
  value: number;
  unit: string;
  sentence: string;
}

interface IndexEntry {
  path: string;
  topic: string;
}

interface Tally {
  pages: number;
  labels: number;
  found: number;
  foundRightUnit: number;
  candidates: number;
  matchedCandidates: number;
}


const collapse = (s: string): string => s.replace(/\s+/g, ' ').trim();
const sameValue = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
const snippet = (s: string): string => (s.length <= SNIPPET ? s : `${s.slice(0, SNIPPET - 1)}…`);

function isLabel(x: unknown): x is Label {
  if (typeof x !== 'object' || x === null) return false;
  const l = x as Record<string, unknown>;
  return typeof l['value'] === 'number' && Number.isFinite(l['value']) && typeof l['unit'] === 'string' &&
    typeof l['sentence'] === 'string' && l['sentence'].trim().length > 0;
}

async function readLabels(dir: string): Promise<Map<string, Label[]>> {
  const parsed: unknown = JSON.parse(await readFile(join(dir, 'labels.json'), 'utf8'));
  const root = parsed as { version?: unknown; pages?: unknown };
  if (typeof parsed !== 'object' || parsed === null || root.version !== 1 || typeof root.pages !== 'object' || root.pages === null) {
    throw new Error('labels.json: expected {"version": 1, "pages": {...}}');
  }
  const out = new Map<string, Label[]>();
  for (const [path, labels] of Object.entries(root.pages)) {
    if (!Array.isArray(labels) || !labels.every(isLabel)) throw new Error(`labels.json: ${path}: every label needs a finite value, a unit and a sentence`);
    out.set(path, labels);
  }
  return out;
}

async function readIndex(dir: string): Promise<IndexEntry[]> {
  const parsed: unknown = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
  if (!Array.isArray(parsed)) throw new Error('index.json: expected an array');
  return parsed.map((e: unknown, i) => {
    const entry = e as Partial<IndexEntry>;
    if (typeof entry.path !== 'string' || typeof entry.topic !== 'string') throw new Error(`index.json: entry ${i} needs a path and a topic`);
    return { path: entry.path, topic: entry.topic };
  });
}

function emptyTally(): Tally {
  return { pages: 0, labels: 0, found: 0, foundRightUnit: 0, candidates: 0, matchedCandidates: 0 };
}

function add(into: Tally, t: Tally): void {
  into.pages += t.pages;
  into.labels += t.labels;
  into.found += t.found;
  into.foundRightUnit += t.foundRightUnit;
  into.candidates += t.candidates;
  into.matchedCandidates += t.matchedCandidates;
}

const pct = (a: number, n: number): number => (n === 0 ? 0 : Math.round((a / n) * 10000) / 100);

function rates(t: Tally) {
  return {
    pages: t.pages,
    labels: t.labels,
    found: t.found,
    found_right_unit: t.foundRightUnit,
    candidates: t.candidates,
    matched_candidates: t.matchedCandidates,
    recall_pct: pct(t.found, t.labels),
    unit_accuracy_pct: pct(t.foundRightUnit, t.found),
    precision_pct: pct(t.matchedCandidates, t.candidates),
  };
}

async function main(): Promise<void> {
  const dir = sampleCorpusDir();
  const [labels, index] = await Promise.all([readLabels(dir), readIndex(dir)]);
  const topicOf = new Map(index.map((e) => [e.path, e.topic]));
  for (const path of labels.keys()) if (!topicOf.has(path)) throw new Error(`labels.json: ${path} is not in index.json`);
  const unlabelled = index.filter((e) => !labels.has(e.path)).map((e) => e.path);
  if (unlabelled.length > 0) throw new Error(`labels.json: no labels for ${unlabelled.join(', ')}`);

  const byTopic = new Map<string, Tally>();
  const missed: Array<{ page: string } & Label> = [];
  const unmatched: Array<{ page: string; value: number; unit: string; excerpt: string }> = [];
  const unitMismatches: Array<{ page: string; value: number; label_unit: string; candidate_units: string[]; sentence: string }> = [];
  let extractMs = 0;
  for (const entry of index) {
    const contentType = contentTypeFor(entry.path);
    if (contentType === undefined) throw new Error(`${entry.path}: no content type for this extension`);
    const body = await readFile(join(dir, entry.path));
    const page = await readPage({ body, text: contentType.startsWith('text/') ? body.toString('utf8') : '', contentType });
    const text = collapse(page.text);
    const pageLabels = labels.get(entry.path) ?? [];
    for (const l of pageLabels) {
      if (!text.includes(collapse(l.sentence))) throw new Error(`labels.json: ${entry.path}: fragment not in the page text: ${JSON.stringify(l.sentence)}`);
    }
    const t0 = performance.now();
    const candidates: CandidateStatistic__Output[] = extractCandidates(page, {
      topic: entry.topic,
      sourceName: 's',
      sourceUrl: 'http://127.0.0.1/x',
      maxCandidates: MAX_CANDIDATES,
    });
    extractMs += performance.now() - t0;
    if (candidates.length >= MAX_CANDIDATES) throw new Error(`${entry.path}: ${MAX_CANDIDATES} candidates, the cap; raise MAX_CANDIDATES`);

    const excerpts = candidates.map((c) => collapse(c.excerpt));
    const matches = (c: number, l: Label): boolean => sameValue(candidates[c]?.value ?? Number.NaN, l.value) && (excerpts[c] ?? '').includes(collapse(l.sentence));
    const tally: Tally = { ...emptyTally(), pages: 1, labels: pageLabels.length, candidates: candidates.length };
    for (const l of pageLabels) {
      const hits = candidates.filter((_, c) => matches(c, l));
      if (hits.length === 0) {
        missed.push({ page: entry.path, ...l });
        continue;
      }
      tally.found++;
      if (hits.some((c) => c.unit === l.unit)) tally.foundRightUnit++;
      else unitMismatches.push({ page: entry.path, value: l.value, label_unit: l.unit, candidate_units: [...new Set(hits.map((c) => c.unit))], sentence: l.sentence });
    }
    candidates.forEach((c, i) => {
      if (pageLabels.some((l) => matches(i, l))) tally.matchedCandidates++;
      else unmatched.push({ page: entry.path, value: c.value, unit: c.unit, excerpt: snippet(excerpts[i] ?? '') });
    });
    const topic = byTopic.get(entry.topic) ?? emptyTally();
    add(topic, tally);
    byTopic.set(entry.topic, topic);
  }

  const overall = emptyTally();
  for (const t of byTopic.values()) add(overall, t);
  const topics = [...byTopic.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([topic, t]) => ({ topic, ...rates(t) }));
  const report = {
    benchmark: 'extraction accuracy of @stats-agent/extractor against hand-labelled statistics of the sample corpus',
    machine: machine(),
    labels_file: 'packages/corpus/sample/labels.json',
    match_rule: 'a label is found when a candidate has the same value (|a-b| <= 1e-9·max) and an excerpt containing the label sentence fragment (whitespace collapsed); unit accuracy counts found labels with a matching candidate of the same unit; precision counts candidates that match some label',
    max_candidates_per_page: MAX_CANDIDATES,
    extract_ms: Math.round(extractMs),
    overall: rates(overall),
    topics,
    missed_labels: missed.slice(0, LISTED),
    unmatched_candidates: unmatched.slice(0, LISTED),
    unit_mismatches: unitMismatches.slice(0, LISTED),
  };
  const o = report.overall;
  const md = [
    '# Extraction accuracy',
    '',
    'Every statistic a careful analyst would take from the main content of each sample-corpus page, labelled by hand in `packages/corpus/sample/labels.json` (value with scale words applied, normalized unit, a verbatim fragment of its sentence), against the candidates `@stats-agent/extractor` returns for that page (page text by `readPage`, as the agents read it: PDFs through pdf.js; up to 1,000 candidates). A label is found when a candidate has its value and an excerpt containing its fragment; unit accuracy is the share of found labels with a candidate of the same unit; precision is the share of candidates that match a label. Reproduce: `pnpm --filter @stats-agent/bench bench:extract`; the JSON lists the first missed labels, unmatched candidates and unit mismatches.',
    '',
    `## sample: ${o.pages} pages, ${o.labels} labels, ${o.candidates} candidates — recall ${o.recall_pct}%, precision ${o.precision_pct}%, unit accuracy ${o.unit_accuracy_pct}%`,
    '',
    '| topic | pages | labels | found | recall % | unit accuracy % | candidates | precision % |',
    '|---|---|---|---|---|---|---|---|',
    ...[...topics, { topic: '**all**', ...o }].map(
      (t) => `| ${t.topic} | ${t.pages} | ${t.labels} | ${t.found} | ${t.recall_pct} | ${t.unit_accuracy_pct} | ${t.candidates} | ${t.precision_pct} |`,
    ),
    '',
  ].join('\n');
  await writeReport('extraction-accuracy', report, md);
}

runBench(main);
