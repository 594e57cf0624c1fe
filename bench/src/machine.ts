import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, totalmem, release, platform, arch, loadavg } from 'node:os';

/** The facts a reader needs to judge a timing: where, when, on what. */
export function machine(): Record<string, string | number> {
  const c = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${platform()} ${release()} ${arch()}`,
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    loadavg_1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/**
 * Writes `results/<name>.json` (the report) and `results/<name>.md` (the text, then the machine's
 * details), and prints the text.
 */
export async function writeReport(name: string, report: { machine: Record<string, string | number> }, markdown: string): Promise<void> {
  const out = fileURLToPath(new URL('../results/', import.meta.url));
  await mkdir(out, { recursive: true });
  await writeFile(join(out, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const md = `${markdown.trimEnd()}\n\n\`\`\`json\n${JSON.stringify(report.machine, null, 2)}\n\`\`\`\n`;
  await writeFile(join(out, `${name}.md`), md);
  process.stdout.write(md);
}

/** Runs a benchmark's main; any failure prints its stack and exits 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
