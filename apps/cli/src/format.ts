import Table from 'cli-table3';
import type { OrchestrateResponse } from './api.js';

const trim = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function formatValue(value: number, unit: string): string {
  const v = Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 6 });
  if (!unit) return v;
  if (unit === '%') return `${v}%`;
  return `${v} ${unit}`;
}

/** The verified statistics as a readable table, then a one-line summary. */
export function formatTable(res: OrchestrateResponse, width = process.stdout.columns || 120): string {
  const excerptWidth = Math.max(30, Math.min(70, width - 75));
  const table = new Table({
    head: ['#', 'Statistic', 'Value', 'Excerpt', 'Source'],
    colWidths: [4, 28, 16, excerptWidth + 2, 24],
    wordWrap: true,
    style: { head: [], border: [] },
  });
  res.statistics.forEach((s, i) => {
    table.push([String(i + 1), trim(s.name, 80), formatValue(s.value, s.unit), trim(s.excerpt, 300), `${trim(s.source, 40)}\n${s.source_url}`]);
  });
  const summary =
    `${res.verified_count} verified of ${res.total_candidates} candidates (${res.failed_count} failed verification)` +
    (res.partial ? ` — partial: target was ${res.target_count}` : '');
  return res.statistics.length ? `${table.toString()}\n${summary}\n` : `No verified statistics for "${res.topic}".\n${summary}\n`;
}
