import { ConfigError } from './config.js';

/**
 * Runs a service's main: configuration problems exit 2 with the list of problems; any other
 * start-up failure exits 1 with its message (e.g. the Workload API socket to start). Both go
 * to stderr as plain text so a person reading a terminal sees them, not only a JSON log.
 */
export function runMain(service: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${service}: failed to start: ${message}\n`);
    process.exit(1);
  });
}
