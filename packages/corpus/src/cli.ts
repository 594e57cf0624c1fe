#!/usr/bin/env node
// stats-agent-corpus: the only file here with side effects. Arguments → config → server →
// one JSON line on stdout with the URL → request logs as JSON lines on stderr → exit 0 on
// SIGTERM/SIGINT once closed. Exit 2 for bad arguments, 1 when the server cannot start.
import { resolve } from 'node:path';
import { parseCorpusConfig, USAGE, type CorpusConfig } from './config.js';
import { CorpusError } from './errors.js';
import { startCorpusServer, type MinimalLogger } from './server.js';

function stderrLogger(): MinimalLogger {
  const write = (level: number, obj: object, msg?: string): void => {
    const record: Record<string, unknown> = { level, time: Date.now(), name: 'corpus', ...obj };
    const err = record['err'];
    if (err instanceof Error) record['err'] = { type: err.name, message: err.message, stack: err.stack };
    if (msg !== undefined) record['msg'] = msg;
    process.stderr.write(`${JSON.stringify(record)}\n`);
  };
  return {
    info: (obj, msg) => write(30, obj, msg),
    warn: (obj, msg) => write(40, obj, msg),
    error: (obj, msg) => write(50, obj, msg),
  };
}

async function main(): Promise<void> {
  let config: CorpusConfig;
  try {
    config = parseCorpusConfig(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (config.help) {
    process.stdout.write(USAGE);
    return;
  }
  const logger = stderrLogger();
  const dir = resolve(config.dir);
  let server;
  try {
    server = await startCorpusServer({ dir, host: config.host, port: config.port, allowPublic: config.allowPublic, latencyMs: config.latencyMs, logger });
  } catch (err) {
    const code = err instanceof CorpusError ? err.code : (err as { code?: string }).code;
    logger.error({ err, code }, 'corpus: the server could not start');
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`${JSON.stringify({ msg: 'corpus server listening', url: server.url, port: server.port, dir })}\n`);

  const running = server;
  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'corpus server stopping');
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'corpus: closing the server failed');
        process.exit(1);
      },
    );
  };
  // once: a second signal gets Node's default handling, so an impatient ^C still ends it.
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await main();
