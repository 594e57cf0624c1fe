import { parseArgs } from 'node:util';
import { sampleCorpusDir } from './documents.js';
import { CorpusError } from './errors.js';
import { DEFAULT_CORPUS_HOST, DEFAULT_CORPUS_PORT, isLoopbackHost } from './server.js';

export interface CorpusConfig {
  readonly dir: string;
  readonly host: string;
  readonly port: number;
  readonly allowPublic: boolean;
  /** Added to every page response: a slow web, for benchmarks and resume tests. */
  readonly latencyMs: number;
  readonly help: boolean;
}

export const USAGE = `Usage: stats-agent-corpus [--dir DIR] [--port N] [--host H] [--allow-public]

Serves a folder of HTML, Markdown and text pages over HTTP for the Statistics Agent Team.
  --dir DIR        folder to serve (env CORPUS_DIR; default: the bundled sample corpus)
  --port N         port, 0 for any free one (env CORPUS_PORT; default ${DEFAULT_CORPUS_PORT})
  --host H         address to bind (default ${DEFAULT_CORPUS_HOST}; loopback only unless --allow-public)
  --allow-public   allow a non-loopback --host (development server: not for exposure)
  --latency-ms N   wait N ms (0-60000) before answering each page, like a slow web (default 0)
  --help           print this help
`;

/**
 * Reads the CLI configuration from arguments first, then `CORPUS_DIR` / `CORPUS_PORT`, then
 * defaults. Pure: the caller passes `process.argv.slice(2)` and `process.env`. Throws one
 * CORPUS_ERR_BAD_CONFIG listing every problem found; the result is frozen.
 */
export function parseCorpusConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CorpusConfig {
  const problems: string[] = [];
  let values: { dir?: string | undefined; port?: string | undefined; host?: string | undefined; 'allow-public'?: boolean | undefined; 'latency-ms'?: string | undefined; help?: boolean | undefined } = {};
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        dir: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'allow-public': { type: 'boolean' },
        'latency-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  }

  const dir = nonEmpty(values.dir) ?? nonEmpty(env['CORPUS_DIR']) ?? sampleCorpusDir();
  const portText = nonEmpty(values.port) ?? nonEmpty(env['CORPUS_PORT']);
  let port = DEFAULT_CORPUS_PORT;
  if (portText !== undefined) {
    if (/^\d{1,5}$/.test(portText) && Number(portText) <= 65_535) port = Number(portText);
    else problems.push(`port must be an integer from 0 to 65535, got ${JSON.stringify(portText)}`);
  }
  const host = nonEmpty(values.host) ?? DEFAULT_CORPUS_HOST;
  const allowPublic = values['allow-public'] === true;
  if (!isLoopbackHost(host) && !allowPublic) {
    problems.push(`host ${host} is not a loopback address; pass --allow-public to bind it anyway`);
  }
  const latencyText = nonEmpty(values['latency-ms']);
  let latencyMs = 0;
  if (latencyText !== undefined) {
    if (/^\d{1,5}$/.test(latencyText) && Number(latencyText) <= 60_000) latencyMs = Number(latencyText);
    else problems.push(`latency-ms must be an integer from 0 to 60000, got ${JSON.stringify(latencyText)}`);
  }
  if (problems.length > 0) {
    throw new CorpusError('CORPUS_ERR_BAD_CONFIG', `corpus: invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze({ dir, host, port, allowPublic, latencyMs, help: values.help === true });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
