import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Managed {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  stop(graceMs: number): Promise<number | string>;
  tail(lines?: number): string;
}

const live = new Set<ChildProcess>();
// Detached children would outlive a launcher that dies without stopping them.
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Starts `node script args` with its own env; stdout and stderr go to `logFile`. */
export function startProcess(opts: { name: string; script: string; args: string[]; env: NodeJS.ProcessEnv; logFile: string; cwd: string }): Managed {
  const log: WriteStream = createWriteStream(opts.logFile, { flags: 'a', mode: 0o600 });
  const child = spawn(process.execPath, [opts.script, ...opts.args], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C in the terminal reaches only the launcher, which then stops
    // the children in order (otherwise each child gets SIGINT and then our SIGTERM as a second
    // signal, and exits 1).
    detached: true,
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      // Give the pipes a moment to flush before closing the log.
      setImmediate(() => log.end());
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const managed: Managed = {
    name: opts.name,
    child,
    logFile: opts.logFile,
    exited,
    async stop(graceMs) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const result = await Promise.race([exited, sleep(graceMs).then(() => undefined)]);
      if (result !== undefined) return result;
      child.kill('SIGKILL');
      return exited;
    },
    tail(lines = 20) {
      try {
        return readFileSync(opts.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
  };
  return managed;
}
