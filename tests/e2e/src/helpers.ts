import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Team } from '@stats-agent/launcher';

export interface LogLine {
  level: string;
  service: string;
  msg: string;
  [k: string]: unknown;
}

/** The JSON lines a service has logged so far (non-JSON lines are skipped). */
export function logLines(team: Team, name: string): LogLine[] {
  let text = '';
  try {
    text = readFileSync(join(team.logDir, `${name}.log`), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((l) => {
    if (!l.startsWith('{')) return [];
    try {
      return [JSON.parse(l) as LogLine];
    } catch {
      return [];
    }
  });
}

export async function orchestrate(team: Team, body: unknown): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${team.orchestratorUrl}/v1/orchestrate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, ms: Date.now() - started };
}
