import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Driver, QueryParam, QueryResult, Queryable, Row, StoreLogger } from '../driver.js';
import { StoreError, databaseErrorInfo } from '../errors.js';
import { pidAlive } from '../pid.js';

export interface PgliteDriverOptions {
  /**
   * The store directory (`STORE_DIR`). The database lives in `<dir>/pgdata`; `<dir>/store.lock`
   * keeps a second store — in this process or another — from opening it at the same time.
   */
  dataDir?: string;
  /** An in-memory database, gone at close (tests, one-off runs). */
  memory?: boolean;
  /** An existing PGlite instance; the driver does not close it. */
  db?: PGlite;
  logger?: StoreLogger;
}

/** Lock files this process holds, by absolute path: a second open of the same directory is refused even though the pid is alive. */
const heldLocks = new Set<string>();

interface LockContent {
  pid: number;
  host: string;
  at: string;
}


/** A lock file still empty or half-written this recently may be another process creating it. */
const FRESH_LOCK_MS = 10_000;

async function acquireLock(lockPath: string, logger: StoreLogger | undefined): Promise<void> {
  // Checked and taken before the first await: two opens in this process cannot both pass.
  if (heldLocks.has(lockPath)) {
    throw new StoreError('STORE_ERR_LOCKED', `store: ${lockPath} is held by another store in this process; open the store once and share it`);
  }
  heldLocks.add(lockPath);
  try {
    await takeLockFile(lockPath, logger);
  } catch (err) {
    heldLocks.delete(lockPath);
    throw err;
  }
}

async function takeLockFile(lockPath: string, logger: StoreLogger | undefined): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(lockPath, 'wx', 0o600);
      try {
        const content: LockContent = { pid: process.pid, host: hostname(), at: new Date().toISOString() };
        await fh.writeFile(JSON.stringify(content));
        await fh.sync();
      } finally {
        await fh.close();
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StoreError('STORE_ERR_CONFIG', `store: cannot create the lock file ${lockPath} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
    let holder: LockContent | undefined;
    try {
      const parsed = JSON.parse(await readFile(lockPath, 'utf8')) as Partial<LockContent>;
      if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') holder = { pid: parsed.pid, host: parsed.host, at: String(parsed.at) };
    } catch {
      // Empty or half-written: another process creating it right now, or one that crashed
      // between create and write long ago (stale, below).
      const age = await stat(lockPath).then((st) => Date.now() - st.mtimeMs, () => Infinity);
      if (age < FRESH_LOCK_MS) throw new StoreError('STORE_ERR_LOCKED', `store: ${lockPath} is being taken by another process`);
    }
    // Stale: written on this host by a process that is gone, or by an earlier life of this pid
    // (containers restart with the same pid) — this process holds no lock on the path (checked above).
    const stale = holder === undefined || (holder.host === hostname() && (holder.pid === process.pid || !pidAlive(holder.pid)));
    if (!stale && holder !== undefined) {
      throw new StoreError(
        'STORE_ERR_LOCKED',
        `store: ${lockPath} is held by pid ${holder.pid} on ${holder.host} since ${holder.at}; stop that process, or delete the file if it is certainly not running`,
      );
    }
    logger?.warn({ lock: lockPath, pid: holder?.pid }, 'store: taking over a stale lock left by a process that ended without closing the store');
    await rm(lockPath, { force: true });
  }
  throw new StoreError('STORE_ERR_LOCKED', `store: could not take the lock ${lockPath}`);
}

async function releaseLock(lockPath: string): Promise<void> {
  if (!heldLocks.delete(lockPath)) return;
  try {
    const holder = JSON.parse(await readFile(lockPath, 'utf8')) as Partial<LockContent>;
    if (holder.pid === process.pid) await rm(lockPath, { force: true });
  } catch {
    // Already gone.
  }
}

function wrapResult<T extends Row>(res: { rows: T[]; affectedRows?: number }): QueryResult<T> {
  return { rows: res.rows, rowCount: res.affectedRows ?? 0 };
}

/** A Queryable over PGlite (the database or a transaction): parameters passed through as they are. */
function queryable(target: Pick<PGlite, 'query'>): Queryable {
  return {
    async query<T extends Row = Row>(sql: string, params: readonly QueryParam[] = []): Promise<QueryResult<T>> {
      return wrapResult(await target.query<T>(sql, [...params]));
    },
  };
}

/**
 * Opens PGlite — in memory, in `<dataDir>/pgdata`, or over a given instance. Resolves when the
 * database is ready (creating a new directory takes seconds). Throws STORE_ERR_LOCKED when the
 * directory is in use, STORE_ERR_DATABASE when PGlite cannot start (the lock is released then).
 * PGlite is one connection: statements run one at a time, a transaction holds the database.
 */
export async function createPgliteDriver(opts: PgliteDriverOptions): Promise<Driver> {
  let db: PGlite;
  let owned = true;
  let lockPath: string | undefined;
  if (opts.db !== undefined) {
    db = opts.db;
    owned = false;
  } else if (opts.memory === true) {
    db = new PGlite();
  } else if (opts.dataDir !== undefined && opts.dataDir !== '') {
    const dir = resolve(opts.dataDir);
    await mkdir(join(dir, 'pgdata'), { recursive: true, mode: 0o700 });
    lockPath = join(dir, 'store.lock');
    await acquireLock(lockPath, opts.logger);
    db = new PGlite(join(dir, 'pgdata'));
  } else {
    throw new StoreError('STORE_ERR_CONFIG', 'store: PGlite needs a data directory or memory: true');
  }
  try {
    await db.waitReady;
  } catch (err) {
    if (lockPath !== undefined) await releaseLock(lockPath);
    throw new StoreError('STORE_ERR_DATABASE', `store: PGlite could not start${opts.dataDir ? ` on ${resolve(opts.dataDir)}` : ''}: ${databaseErrorInfo(err).message}`);
  }
  let closed = false;
  const base = queryable(db);
  const ensureOpen = (): void => {
    if (closed) throw new StoreError('STORE_ERR_CLOSED', 'store: the store is closed');
  };
  return {
    kind: 'pglite',
    async query<T extends Row = Row>(sql: string, params?: readonly QueryParam[]): Promise<QueryResult<T>> {
      ensureOpen();
      return base.query<T>(sql, params);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      ensureOpen();
      return db.transaction(async (tx) => fn(queryable(tx)));
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        if (owned) await db.close();
      } finally {
        if (lockPath !== undefined) await releaseLock(lockPath);
      }
    },
  };
}
