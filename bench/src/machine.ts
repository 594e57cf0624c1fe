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
