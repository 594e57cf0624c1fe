#!/usr/bin/env node
/**
 * stats-agent-spiffe-dev: the development SPIFFE tooling of the team.
 *   serve  runs the development Workload API server until SIGINT/SIGTERM
 *   mint   writes an X509-SVID (svid.pem, svid.key, bundle.pem) to a folder
 * Prints one JSON line per event on stdout; never prints a private key.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SpiffeId } from '../id.js';
import type { Logger } from '../logger.js';
import { loadOrCreateCaDir, makePrivateDir, writePrivateFile } from './ca-dir.js';
import { TestCa } from './ca.js';
import { DevWorkloadApiServer } from './dev-server.js';

const USAGE = `usage:
  stats-agent-spiffe-dev serve --socket-dir DIR --workload NAME=spiffe://TD/PATH [--workload ...]
                               [--trust-domain TD] [--ttl SECONDS] [--rotate-after SECONDS] [--ca-dir DIR] [--verbose]
  stats-agent-spiffe-dev mint --spiffe-id spiffe://TD/PATH --out DIR [--ttl SECONDS] [--ca-dir DIR]

serve   one unix socket per workload: DIR/NAME.sock (SPIFFE_ENDPOINT_SOCKET=unix://DIR/NAME.sock)
mint    writes DIR/svid.pem (chain), DIR/svid.key (mode 0600), DIR/bundle.pem
--ca-dir  use the CA in DIR/ca.pem + DIR/ca.key, creating it there when absent, so that minted
          and served SVIDs share one CA`;

class UsageError extends Error {}

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);
}

function jsonLogger(verbose: boolean): Logger {
  const at =
    (level: string) =>
    (obj: object, msg?: string): void =>
      emit({ level, ...obj, ...(msg === undefined ? {} : { msg }) });
  return { debug: verbose ? at('debug') : () => {}, info: at('info'), warn: at('warn'), error: at('error') };
}

/** Runs a parseArgs call, turning its errors into usage errors (exit 2). */
function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function positiveNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number of seconds, not ${JSON.stringify(value)}`);
  return n;
}

function required(name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function spiffeId(flag: string, value: string): SpiffeId {
  try {
    return SpiffeId.parse(value);
  } catch (err) {
    throw new UsageError(`--${flag}: ${(err as Error).message}`);
  }
}

async function serve(args: string[]): Promise<void> {
  const { values: v } = usage(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        'socket-dir': { type: 'string' },
        workload: { type: 'string', multiple: true },
        'trust-domain': { type: 'string' },
        ttl: { type: 'string' },
        'rotate-after': { type: 'string' },
        'ca-dir': { type: 'string' },
        verbose: { type: 'boolean' },
      },
    }),
  );
  const socketDir = resolve(required('socket-dir', v['socket-dir']));
  const workloads: Record<string, string> = {};
  for (const entry of v.workload ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--workload must be NAME=spiffe://..., not ${JSON.stringify(entry)}`);
    workloads[entry.slice(0, eq)] = spiffeId('workload', entry.slice(eq + 1)).toString();
  }
  const first = Object.values(workloads)[0];
  if (first === undefined) throw new UsageError('at least one --workload NAME=spiffe://... is required');
  const trustDomain = v['trust-domain'] ?? SpiffeId.parse(first).trustDomain.name;
  const ttlSeconds = positiveNumber('ttl', v.ttl);
  const rotateAfterSeconds = positiveNumber('rotate-after', v['rotate-after']);
  const logger = jsonLogger(v.verbose === true);

  let ca: TestCa | undefined;
  if (v['ca-dir'] !== undefined) {
    const caDir = resolve(v['ca-dir']);
    const loaded = await loadOrCreateCaDir(caDir, trustDomain);
    ca = loaded.ca;
    emit({ level: 'info', event: loaded.created ? 'ca-created' : 'ca-loaded', caDir, trustDomain: ca.trustDomain.name });
  }
  const server = await DevWorkloadApiServer.start({
    trustDomain,
    socketDir,
    workloads,
    ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
    ...(rotateAfterSeconds === undefined ? {} : { rotateAfterSeconds }),
    ...(ca === undefined ? {} : { ca }),
    logger,
  });
  const stop = (signal: string): void => {
    server.close().then(
      () => {
        emit({ level: 'info', event: 'exit', signal });
        process.exit(0);
      },
      (err: unknown) => {
        emit({ level: 'error', event: 'error', message: (err as Error).message });
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function mint(args: string[]): Promise<void> {
  const { values: v } = usage(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        'spiffe-id': { type: 'string' },
        out: { type: 'string' },
        ttl: { type: 'string' },
        'ca-dir': { type: 'string' },
      },
    }),
  );
  const id = spiffeId('spiffe-id', required('spiffe-id', v['spiffe-id']));
  const out = resolve(required('out', v.out));
  const ttlSeconds = positiveNumber('ttl', v.ttl) ?? 3600;
  const caDir = v['ca-dir'] === undefined ? undefined : resolve(v['ca-dir']);
  const { ca, created } = caDir
    ? await loadOrCreateCaDir(caDir, id.trustDomain.name)
    : { ca: await TestCa.create({ trustDomain: id.trustDomain.name, validForSeconds: Math.max(86_400, ttlSeconds) }), created: true };
  const svid = await ca.mintSvid({ spiffeId: id.toString(), ttlSeconds });
  await makePrivateDir(out);
  const files = { chain: join(out, 'svid.pem'), key: join(out, 'svid.key'), bundle: join(out, 'bundle.pem') };
  await writeFile(files.chain, svid.certChainPem);
  await writePrivateFile(files.key, svid.privateKeyPem);
  await writeFile(files.bundle, ca.bundlePem());
  emit({
    level: 'info',
    event: 'minted',
    spiffeId: svid.spiffeId,
    serial: svid.serialNumber,
    expiresAt: svid.expiresAt.toISOString(),
    files,
    ...(caDir ? { caDir, caCreated: created } : {}),
  });
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    if (command === undefined) process.exitCode = 2;
    return;
  }
  if (command === 'serve') return serve(rest);
  if (command === 'mint') return mint(rest);
  throw new UsageError(`unknown command ${JSON.stringify(command)}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`stats-agent-spiffe-dev: ${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'error', event: 'error', message: (err as Error).message })}\n`);
  process.exit(1);
});
