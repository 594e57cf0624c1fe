import Table from 'cli-table3';
import type { OrchestrateResponse, VerifyResponse } from './api.js';

const trim = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function formatValue(value: number, unit: string): string {
  const v = Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 6 });
  if (!unit) return v;
  if (unit === '%') return `${v}%`;
  return `${v} ${unit}`;
}

/** The verified statistics as a readable table (source and full URL under each), then a summary. */
export function formatTable(res: OrchestrateResponse, width = process.stdout.columns || 120): string {
  const total = Math.max(90, Math.min(width, 160));
  const nameWidth = 26;
  const valueWidth = 18;
  const excerptWidth = total - nameWidth - valueWidth - 4 - 5 * 3;
  const table = new Table({
    head: ['#', 'Statistic', 'Value', 'Excerpt'],
    colWidths: [4, nameWidth + 2, valueWidth + 2, excerptWidth + 2],
    wordWrap: true,
    style: { head: [], border: [] },
  });
  res.statistics.forEach((s, i) => {
    table.push([String(i + 1), trim(s.name, 90), formatValue(s.value, s.unit), trim(s.excerpt, 400)]);
    table.push([{ colSpan: 4, content: `source: ${trim(s.source, 80)} <${s.source_url}>` }]);
  });
  const summary =
    `${res.verified_count} verified of ${res.total_candidates} candidates (${res.failed_count} failed verification)` +
    (res.partial ? ` — partial: target was ${res.target_count}` : '');
  return res.statistics.length ? `${table.toString()}\n${summary}\n` : `No verified statistics for "${res.topic}".\n${summary}\n`;
}

/** One row per candidate: verdict, reason, what was claimed and where. */
export function formatVerdicts(res: VerifyResponse, width = process.stdout.columns || 120): string {
  const total = Math.max(90, Math.min(width, 160));
  const table = new Table({
    head: ['#', 'Verdict', 'Reason', 'Statistic', 'Value', 'Source URL'],
    colWidths: [4, 10, 22, 28, 18, total - 4 - 10 - 22 - 28 - 18 - 7],
    wordWrap: true,
    wrapOnWordBoundary: false,
    style: { head: [], border: [] },
  });
  res.results.forEach((r, i) => {
    const s = r.statistic;
    table.push([String(i + 1), r.verified ? 'verified' : 'failed', r.reason, trim(s.name, 80), formatValue(s.value, s.unit), s.source_url]);
  });
  return `${table.toString()}\n${res.verified_count} verified, ${res.failed_count} failed\n`;
}
