/**
 * A throw-away PostgreSQL server for tests, e2e runs and CI: `initdb` into a temporary
 * directory, `pg_ctl start` on 127.0.0.1 only (a free port, the unix socket in the same
 * directory, trust authentication for that directory's user), and `stop()` that stops it and
 * deletes everything. Run as root, the server runs as the `postgres` user (or `nobody`), as
 * PostgreSQL refuses to run as root. A server whose test process was killed before it could
 * stop it is stopped and removed by the next `startPostgres` (see `reapOrphanedServers`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { pidAlive } from '../pid.js';

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (or the given DATABASE_URL). */
  url: string;
  /** true for a server given by DATABASE_URL: only databases created here are dropped by `stop()`. */
  external: boolean;
  /** Creates an empty database (a fresh name unless given) and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server and removes its directory (or drops the databases created on an external server). Idempotent. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** The folder with initdb and pg_ctl; default: found by `findPostgresBin()`. */
  binDir?: string;
  /** Most time for initdb plus start (default 60 s). */
  timeoutMs?: number;
}

/** The newest `/usr/lib/postgresql/<v>/bin` (Debian, Ubuntu), `/usr/local/pgsql/bin`, or a PATH entry holding initdb; null if none. */
export function findPostgresBin(path = process.env['PATH'] ?? ''): string | null {
  const candidates: string[] = [];
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  candidates.push('/usr/local/pgsql/bin', ...path.split(delimiter).filter((p) => p !== ''));
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) ?? null;
}

/** uid and gid of an unprivileged account to run the server as, when this process is root. */
function serverAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    throw new Error('test postgres: running as root and /etc/passwd is unreadable; PostgreSQL cannot run as root');
  }
  for (const name of ['postgres', 'nobody']) {
    const line = passwd.split('\n').find((l) => l.startsWith(`${name}:`));
    const [, , uid, gid] = line?.split(':') ?? [];
    if (uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error('test postgres: running as root and there is no postgres or nobody account to run the server as');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Runs a PostgreSQL tool to its exit, output to `logFile` (never to a pipe: the server that
 * `pg_ctl start` leaves running would hold a pipe open). Rejects with the log's tail.
 */
async function runTool(bin: string, args: string[], opts: { logFile: string; account: { uid: number; gid: number } | undefined; timeoutMs: number }): Promise<void> {
  const fd = openSync(opts.logFile, 'a');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(bin, args, {
        stdio: ['ignore', fd, fd],
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' },
        ...(opts.account ?? {}),
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`test postgres: ${bin} did not finish within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`test postgres: ${bin} ${args[0] ?? ''} exited with ${code ?? signal}`));
      });
    });
  } catch (err) {
    const tail = (await readFile(opts.logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
    throw new Error(`${(err as Error).message}\n${tail}`, { cause: err });
  } finally {
    closeSync(fd);
  }
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`test postgres: database name ${name} must match [a-z_][a-z0-9_]*`);
  return `"${name}"`;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, query_timeout: 30_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function databaseApi(url: string): { createDatabase: (name?: string) => Promise<string>; dropAll: () => Promise<void> } {
  const created: string[] = [];
  return {
    async createDatabase(name?: string): Promise<string> {
      const db = name ?? `stats_agent_test_${randomBytes(6).toString('hex')}`;
      await adminQuery(url, `CREATE DATABASE ${quoteIdent(db)}`);
      created.push(db);
      return withDatabase(url, db);
    },
    async dropAll(): Promise<void> {
      for (const db of created.splice(0)) await adminQuery(url, `DROP DATABASE IF EXISTS ${quoteIdent(db)} WITH (FORCE)`);
    },
  };
}

const DIR_PREFIX = 'stats-agent-pg-';


/**
 * Stops and removes servers left behind by test processes that were killed before they could
 * stop them (SIGKILL, a closed pipe): each directory names the pid that started it.
 */
export async function reapOrphanedServers(binDir: string): Promise<number> {
  let reaped = 0;
  const base = tmpdir();
  for (const name of readdirSync(base).filter((n) => n.startsWith(DIR_PREFIX))) {
    const dir = join(base, name);
    let owner: number;
    try {
      owner = Number((JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as { pid?: unknown }).pid);
    } catch {
      continue; // not ours, or still being set up
    }
    if (!Number.isInteger(owner) || owner <= 0 || pidAlive(owner)) continue;
    if (existsSync(join(dir, 'data', 'postmaster.pid'))) {
      spawnSync(join(binDir, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore', timeout: 20_000, ...(serverAccount() ?? {}) });
    }
    await rm(dir, { recursive: true, force: true });
    reaped++;
  }
  return reaped;
}

/**
 * Starts a temporary server (see the module comment). Resolves when it accepts connections;
 * rejects with the tool's log tail when initdb or the start fails (the directory is removed
 * then). Call `stop()` when done; a process that exits normally stops it too.
 */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<TestPostgres> {
  const binDir = opts.binDir ?? findPostgresBin();
  if (binDir === null) throw new Error('test postgres: no PostgreSQL binaries (initdb, pg_ctl) found; install PostgreSQL or set DATABASE_URL');
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const account = serverAccount();
  await reapOrphanedServers(binDir);
  const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  await writeFile(join(dir, 'owner.json'), JSON.stringify({ pid: process.pid }));
  if (account !== undefined) await chown(dir, account.uid, account.gid);
  const data = join(dir, 'data');
  const logFile = join(dir, 'tools.log');
  const pgCtl = join(binDir, 'pg_ctl');
  let running = false;
  const stopSync = (): void => {
    if (running) spawnSync(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore', timeout: 10_000, ...(account ?? {}) });
  };
  const cleanup = async (): Promise<void> => {
    process.removeListener('exit', stopSync);
    if (running) {
      running = false;
      await runTool(pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'], { logFile, account, timeoutMs: 40_000 }).catch(() =>
        runTool(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop'], { logFile, account, timeoutMs: 20_000 }),
      );
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await runTool(join(binDir, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'], { logFile, account, timeoutMs });
    let port = 0;
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      try {
        process.on('exit', stopSync);
        running = true;
        await runTool(
          pgCtl,
          [
            '-D', data, '-w', '-t', String(Math.ceil(timeoutMs / 1000)), '-l', join(dir, 'server.log'),
            '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50`,
            'start',
          ],
          { logFile, account, timeoutMs },
        );
        break;
      } catch (err) {
        running = false;
        process.removeListener('exit', stopSync);
        // The port may have been taken between finding it and binding it.
        if (attempt >= 2) throw err;
      }
    }
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const dbs = databaseApi(url);
    let stopped = false;
    return {
      url,
      external: false,
      createDatabase: dbs.createDatabase,
      async stop(): Promise<void> {
        if (stopped) return;
        stopped = true;
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
}

/**
 * The Postgres server tests should use: the one at `databaseUrl` (usually `DATABASE_URL`) when
 * given — tests then work only in databases they create, which needs CREATEDB — else a
 * temporary server when PostgreSQL is installed, else `{ skip }` with the reason to print.
 */
export async function postgresForTests(opts: { databaseUrl?: string | undefined; binDir?: string } = {}): Promise<TestPostgres | { skip: string }> {
  if (opts.databaseUrl !== undefined && opts.databaseUrl !== '') {
    const url = opts.databaseUrl;
    const dbs = databaseApi(url);
    return { url, external: true, createDatabase: dbs.createDatabase, stop: dbs.dropAll };
  }
  const binDir = opts.binDir ?? findPostgresBin();
  if (binDir === null) return { skip: 'no DATABASE_URL and no PostgreSQL installation (initdb, pg_ctl) found: the Postgres half of the store suite is skipped' };
  return startPostgres({ binDir });
}
