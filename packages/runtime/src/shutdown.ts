import type { Logger } from '@stats-agent/logging';

export interface ShutdownStep {
  name: string;
  run: () => Promise<void> | void;
}

export interface ShutdownHandle {
  /** Runs the steps as a signal would; resolves when done (tests use it). */
  shutdown(reason: string): Promise<void>;
}

/**
 * On SIGTERM or SIGINT: runs the steps in order (stop taking work, drain, close), then exits 0.
 * A step that fails is logged and the rest still run. When the whole drain exceeds `timeoutMs`
 * the process exits 1; a second signal exits 1 at once.
 */
export function installShutdown(opts: {
  logger: Logger;
  steps: ShutdownStep[];
  timeoutMs?: number;
  exit?: (code: number) => void;
}): ShutdownHandle {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = opts.timeoutMs ?? 20_000;
  let running: Promise<void> | undefined;

  const shutdown = (reason: string): Promise<void> => {
    if (running) return running;
    opts.logger.info({ reason, timeout_ms: timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      opts.logger.error({ timeout_ms: timeoutMs }, 'shutdown timed out; exiting');
      exit(1);
    }, timeoutMs);
    timer.unref();
    running = (async () => {
      let failed = false;
      for (const step of opts.steps) {
        try {
          await step.run();
        } catch (err) {
          failed = true;
          opts.logger.error({ err, step: step.name }, 'shutdown step failed');
        }
      }
      clearTimeout(timer);
      opts.logger.info({ clean: !failed }, 'stopped');
      exit(failed ? 1 : 0);
    })();
    return running;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (running) {
      opts.logger.warn({ signal }, 'second signal; exiting now');
      exit(1);
      return;
    }
    void shutdown(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return { shutdown };
}
