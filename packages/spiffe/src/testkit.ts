// Helpers shared by this package's tests (compiled with them; not exported by the package).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from './logger.js';

/** A fresh private temp folder (mkdtemp gives mode 0700) and its cleanup. */
export async function tempDir(prefix = 'spiffe-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Polls `check` until it returns true or `timeoutMs` passes (then throws naming `what`). */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface LogLine {
  level: string;
  msg?: string;
  [key: string]: unknown;
}

/** A Logger that keeps every line (as its JSON round trip, like a real log sink would see it). */
export function memoryLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push(JSON.parse(JSON.stringify({ level, ...obj, msg })) as LogLine);
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
