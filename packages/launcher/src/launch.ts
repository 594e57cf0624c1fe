import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEFAULT_TRUST_DOMAIN, SERVICES, serviceSpiffeId, type ServiceName } from '@stats-agent/runtime';
import { freePort } from './ports.js';
import { startProcess, type Managed } from './process.js';

/** Repository root, from packages/launcher/dist. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const SCRIPTS = {
  spiffe: join(REPO_ROOT, 'packages/spiffe/dist/testing/cli.js'),
  corpus: join(REPO_ROOT, 'packages/corpus/dist/cli.js'),
  orchestration: join(REPO_ROOT, 'apps/orchestration/dist/main.js'),
  research: join(REPO_ROOT, 'apps/research/dist/main.js'),
  synthesis: join(REPO_ROOT, 'apps/synthesis/dist/main.js'),
  verification: join(REPO_ROOT, 'apps/verification/dist/main.js'),
  keys: join(REPO_ROOT, 'packages/auth/dist/cli.js'),
} as const;

const AGENTS = ['research', 'synthesis', 'verification'] as const;

export interface Ports {
  http: number;
  corpus: number;
  grpc: Record<Exclude<ServiceName, 'orchestration'>, number>;
  admin: Record<ServiceName, number>;
}

export interface LaunchOptions {
  /** Folder for sockets, CA and logs; a new temporary folder by default. */
  runDir?: string;
  /** `default`: the ports of DESIGN.md; `auto`: free ports (tests, several teams at once). */
  ports?: 'default' | 'auto';
  /** Folder the research agent indexes and the corpus server serves; the sample corpus by default. */
  corpusDir?: string;
  /** The corpus server waits this long before each page: a slow web (benchmarks, resume tests). */
  corpusLatencyMs?: number;
  trustDomain?: string;
  svidTtlSeconds?: number;
  rotateAfterSeconds?: number;
  /** Extra variables for the services, e.g. LOG_LEVEL. */
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
  /** Keep the run folder (logs) after stop; by default a folder the launcher made is removed. */
  keepRunDir?: boolean;
  onEvent?: (event: { stage: string; name: string; detail?: string }) => void;
}

export interface Team {
  runDir: string;
  socketDir: string;
  caDir: string;
  logDir: string;
  trustDomain: string;
  ports: Ports;
  orchestratorUrl: string;
  corpusUrl: string;
  /**
   * A development API key (scopes stats:search, stats:read, stats:admin; expires in 24 h) made
   * for this launch: send it as `Authorization: Bearer <apiKey>`. Its plaintext is also in
   * `apiKeyFile` (mode 0600); the orchestrator only has its hash (`<runDir>/api-keys.json`).
   */
  apiKey: string;
  apiKeyFile: string;
  processes: Managed[];
  /** `unix://` Workload API endpoint of a workload served by the development server. */
  endpoint(workload: string): string;
  /** The orchestrator's run store (PGlite) and audit log, both in the run folder. */
  storeDir: string;
  auditLogFile: string;
  /** SIGTERM everything, orchestrator first, and wait; SIGKILL what outlives `graceMs`. */
  stop(graceMs?: number): Promise<Record<string, number | string>>;
  /**
   * Sends `signal` to one service (SIGKILL: a crash), waits for it to exit, starts it again with
   * the same settings and resolves once it is ready; resolves with the exit code or signal.
   */
  restart(name: 'orchestration' | (typeof AGENTS)[number], signal?: NodeJS.Signals): Promise<number | string>;
}


async function choosePorts(mode: 'default' | 'auto'): Promise<Ports> {
  if (mode === 'default') {
    return {
      http: SERVICES.orchestration.httpPort,
      corpus: 8010,
      grpc: { research: SERVICES.research.grpcPort, synthesis: SERVICES.synthesis.grpcPort, verification: SERVICES.verification.grpcPort },
      admin: {
        orchestration: SERVICES.orchestration.adminPort,
        research: SERVICES.research.adminPort,
        synthesis: SERVICES.synthesis.adminPort,
        verification: SERVICES.verification.adminPort,
      },
    };
  }
  const p = async (): Promise<number> => freePort();
  return {
    http: await p(),
    corpus: await p(),
    grpc: { research: await p(), synthesis: await p(), verification: await p() },
    admin: { orchestration: await p(), research: await p(), synthesis: await p(), verification: await p() },
  };
}

async function waitFor(what: string, proc: Managed, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let exit: number | string | undefined;
  void proc.exited.then((code) => (exit = code));
  while (Date.now() < until) {
    if (exit !== undefined) {
      throw new Error(`${proc.name} exited (${exit}) before it was ready; last log lines:\n${proc.tail()}`);
    }
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${proc.name}: ${what} not ready within ${timeoutMs} ms; last log lines:\n${proc.tail()}`);
}

const httpOk = (url: string) => async (): Promise<boolean> => (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;

/**
 * Starts the development Workload API server, the corpus server and the four agents, each its
 * own process with its own SVID, and resolves once every one reports ready. On failure, stops
 * what it started and rejects with the failing process's last log lines.
 */
export async function launchTeam(opts: LaunchOptions = {}): Promise<Team> {
  for (const [name, script] of Object.entries(SCRIPTS)) {
    if (!existsSync(script)) throw new Error(`launcher: ${name} is not built (${script} missing); run the build first`);
  }
  const runDir = opts.runDir ?? (await mkdtemp(join(tmpdir(), 'stats-agent-')));
  const removeRunDir = opts.runDir === undefined && !opts.keepRunDir;
  const socketDir = join(runDir, 'spire');
  const caDir = join(runDir, 'ca');
  const logDir = join(runDir, 'logs');
  await mkdir(logDir, { recursive: true, mode: 0o700 });
  const trustDomain = opts.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  const ports = await choosePorts(opts.ports ?? 'default');
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const emit = opts.onEvent ?? (() => undefined);

  // The orchestrator requires authentication; a development key is made with the key tool.
  const keysFile = join(runDir, 'api-keys.json');
  const apiKeyFile = join(runDir, 'api-key');
  try {
    await promisify(execFile)(
      process.execPath,
      [SCRIPTS.keys, 'create', '--id', 'dev', '--name', 'stats-agent up (development)', '--scopes', 'stats:search,stats:read,stats:admin', '--expires-in', '24h', '--keys-file', keysFile, '--key-out', apiKeyFile, '--replace'],
      { timeout: 10_000 },
    );
  } catch (err) {
    if (removeRunDir) await rm(runDir, { recursive: true, force: true });
    throw new Error(`launcher: could not create the development API key: ${(err as { stderr?: string }).stderr?.trim() || String(err)}`);
  }
  const apiKey = (await readFile(apiKeyFile, 'utf8')).trim();
  emit({ stage: 'ready', name: 'api-key', detail: apiKeyFile });

  const processes: Managed[] = [];
  const endpoint = (w: string): string => `unix://${join(socketDir, `${w}.sock`)}`;
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    NODE_ENV: process.env['NODE_ENV'] ?? 'development',
    SPIFFE_TRUST_DOMAIN: trustDomain,
    LOG_LEVEL: 'info',
    ...opts.env,
  };
  const specs = new Map<string, { script: string; args: string[]; env: NodeJS.ProcessEnv; ready: () => Promise<boolean> }>();
  const start = (name: string, script: string, args: string[], env: NodeJS.ProcessEnv): Managed => {
    const m = startProcess({ name, script, args, env: { ...baseEnv, ...env }, logFile: join(logDir, `${name}.log`), cwd: REPO_ROOT });
    processes.push(m);
    specs.set(name, { script, args, env, ready: async () => false });
    emit({ stage: 'starting', name });
    return m;
  };
  const storeDir = join(runDir, 'store');
  const auditLogFile = join(runDir, 'audit', 'orchestration.audit.log');

  const team: Team = {
    runDir,
    socketDir,
    caDir,
    logDir,
    trustDomain,
    ports,
    orchestratorUrl: `http://127.0.0.1:${ports.http}`,
    corpusUrl: `http://127.0.0.1:${ports.corpus}`,
    apiKey,
    apiKeyFile,
    storeDir,
    auditLogFile,
    processes,
    endpoint,
    async restart(name, signal = 'SIGTERM') {
      const i = processes.findIndex((p) => p.name === name);
      const spec = specs.get(name);
      const old = processes[i];
      if (i < 0 || !spec || !old) throw new Error(`launcher: no service ${name}`);
      emit({ stage: 'stopping', name, detail: signal });
      old.child.kill(signal);
      const code = await old.exited;
      const m = startProcess({ name, script: spec.script, args: spec.args, env: { ...baseEnv, ...spec.env }, logFile: join(logDir, `${name}.log`), cwd: REPO_ROOT });
      processes[i] = m;
      emit({ stage: 'starting', name });
      await waitFor('readiness', m, spec.ready, readyTimeoutMs);
      emit({ stage: 'ready', name });
      return code;
    },
    async stop(graceMs = 15_000) {
      const codes: Record<string, number | string> = {};
      // Reverse start order: the orchestrator stops taking requests before the agents go.
      for (const p of [...processes].reverse()) {
        emit({ stage: 'stopping', name: p.name });
        codes[p.name] = await p.stop(graceMs);
      }
      if (removeRunDir) await rm(runDir, { recursive: true, force: true });
      return codes;
    },
  };

  try {
    const workloads = (['orchestration', ...AGENTS] as const).flatMap((w) => ['--workload', `${w}=${serviceSpiffeId(w, trustDomain)}`]);
    const spiffe = start('spiffe-dev', SCRIPTS.spiffe, [
      'serve',
      '--socket-dir',
      socketDir,
      '--ca-dir',
      caDir,
      '--trust-domain',
      trustDomain,
      ...(opts.svidTtlSeconds ? ['--ttl', String(opts.svidTtlSeconds)] : []),
      ...(opts.rotateAfterSeconds ? ['--rotate-after', String(opts.rotateAfterSeconds)] : []),
      ...workloads,
    ], {});
    await waitFor('Workload API sockets', spiffe, async () => ['orchestration', ...AGENTS].every((w) => existsSync(join(socketDir, `${w}.sock`))), readyTimeoutMs);
    emit({ stage: 'ready', name: 'spiffe-dev', detail: socketDir });

    const corpusDir = opts.corpusDir;
    const corpus = start(
      'corpus',
      SCRIPTS.corpus,
      ['--port', String(ports.corpus), ...(corpusDir ? ['--dir', corpusDir] : []), ...(opts.corpusLatencyMs ? ['--latency-ms', String(opts.corpusLatencyMs)] : [])],
      {},
    );
    await waitFor('corpus server', corpus, httpOk(`${team.corpusUrl}/healthz`), readyTimeoutMs);
    emit({ stage: 'ready', name: 'corpus', detail: team.corpusUrl });

    const agentProcs = AGENTS.map((a) =>
      start(a, SCRIPTS[a], [], {
        SPIFFE_ENDPOINT_SOCKET: endpoint(a),
        GRPC_PORT: String(ports.grpc[a]),
        ADMIN_PORT: String(ports.admin[a]),
        LOCAL_CORPUS_BASE_URL: team.corpusUrl,
        // The sample corpus comes with reputation tiers for its (fictional) publishers.
        ...(corpusDir ? { LOCAL_CORPUS_DIR: corpusDir } : { REPUTATION_TIERS_FILE: join(REPO_ROOT, 'packages/corpus/sample/reputation.json') }),
        // The corpus server is on loopback: the fetchers may reach exactly that host:port.
        STATS_FETCH_ALLOW: `127.0.0.1:${ports.corpus}`,
        // One audit log per process (a second writer on the same file is refused).
        AUDIT_LOG_FILE: join(runDir, 'audit', `${a}.audit.log`),
      }),
    );
    for (const a of AGENTS) {
      const spec = specs.get(a);
      if (spec) spec.ready = httpOk(`http://127.0.0.1:${ports.admin[a]}/readyz`);
    }
    await Promise.all(
      agentProcs.map(async (p, i) => {
        const a = AGENTS[i] as (typeof AGENTS)[number];
        await waitFor('admin /readyz', p, httpOk(`http://127.0.0.1:${ports.admin[a]}/readyz`), readyTimeoutMs);
        emit({ stage: 'ready', name: a, detail: `grpc 127.0.0.1:${ports.grpc[a]}` });
      }),
    );

    const orch = start('orchestration', SCRIPTS.orchestration, [], {
      SPIFFE_ENDPOINT_SOCKET: endpoint('orchestration'),
      HTTP_PORT: String(ports.http),
      ADMIN_PORT: String(ports.admin.orchestration),
      RESEARCH_ADDR: `127.0.0.1:${ports.grpc.research}`,
      SYNTHESIS_ADDR: `127.0.0.1:${ports.grpc.synthesis}`,
      VERIFICATION_ADDR: `127.0.0.1:${ports.grpc.verification}`,
      API_KEYS_FILE: keysFile,
      STORE_DIR: storeDir,
      AUDIT_LOG_FILE: auditLogFile,
    });
    const orchSpec = specs.get('orchestration');
    if (orchSpec) orchSpec.ready = httpOk(`http://127.0.0.1:${ports.admin.orchestration}/readyz`);
    await waitFor('admin /readyz', orch, httpOk(`http://127.0.0.1:${ports.admin.orchestration}/readyz`), readyTimeoutMs);
    emit({ stage: 'ready', name: 'orchestration', detail: team.orchestratorUrl });
    return team;
  } catch (err) {
    await team.stop(5000);
    throw err;
  }
}
