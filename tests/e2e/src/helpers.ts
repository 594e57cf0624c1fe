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

/**
 * Waits until `name` has logged a line matching `match`: a child's stdout reaches its log file
 * through a pipe, a moment after the effect the test observed.
 */
export async function waitForLog(team: Team, name: string, match: (l: LogLine) => boolean, timeoutMs = 5000): Promise<LogLine | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = logLines(team, name).find(match);
    if (found || Date.now() > until) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function orchestrate(team: Team, body: unknown): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${team.orchestratorUrl}/v1/orchestrate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${team.apiKey}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, ms: Date.now() - started };
}
