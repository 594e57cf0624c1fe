import pg from 'pg';
import type { Driver, QueryParam, QueryResult, Queryable, Row, StoreLogger } from '../driver.js';
import { StoreError, databaseErrorInfo } from '../errors.js';

export interface PgDriverOptions {
  /** `postgres://user:password@host:port/db?sslmode=…` (`DATABASE_URL`). */
  connectionString: string;
  /** Connections at most (`DATABASE_POOL_MAX`). */
  poolMax: number;
  /** Server-side limit per statement (`DATABASE_STATEMENT_TIMEOUT_MS`); the client gives up 5 s later. */
  statementTimeoutMs: number;
  /** How long to wait for a connection, new or from the pool (`DATABASE_CONNECT_TIMEOUT_MS`). */
  connectTimeoutMs: number;
  /** An idle connection is closed after this long (`DATABASE_IDLE_TIMEOUT_MS`). */
  idleTimeoutMs: number;
  logger?: StoreLogger;
}

/** `postgres://user:***@host:port/db` — for messages and logs; never the password. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    u.search = '';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

function queryable(client: pg.ClientBase | pg.Pool): Queryable {
  return {
    async query<T extends Row = Row>(sql: string, params: readonly QueryParam[] = []): Promise<QueryResult<T>> {
      const res = await client.query<T>(sql, [...params]);
      return { rows: res.rows, rowCount: res.rowCount ?? 0 };
    },
  };
}

/**
 * A pool of connections to a Postgres server. Connects lazily: the first query (the store's
 * migrations at open) is where an unreachable server or a refused login shows, as
 * STORE_ERR_UNAVAILABLE. Every connection has a statement timeout and an
 * idle-in-transaction timeout, and every query a client-side deadline.
 */
export function createPgDriver(opts: PgDriverOptions): Driver {
  const where = redactDatabaseUrl(opts.connectionString);
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.poolMax,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    idleTimeoutMillis: opts.idleTimeoutMs,
    statement_timeout: opts.statementTimeoutMs,
    idle_in_transaction_session_timeout: opts.statementTimeoutMs * 2,
    lock_timeout: opts.statementTimeoutMs,
    query_timeout: opts.statementTimeoutMs + 5_000,
    application_name: 'stats-agent-store',
    keepAlive: true,
  });
  // An idle connection that the server drops emits 'error' on the pool; unhandled, it would end the process.
  pool.on('error', (err) => {
    opts.logger?.warn({ db: where, err: databaseErrorInfo(err) }, 'store: an idle database connection failed; the pool replaces it');
  });
  let closed = false;
  const base = queryable(pool);
  const ensureOpen = (): void => {
    if (closed) throw new StoreError('STORE_ERR_CLOSED', 'store: the store is closed');
  };
  return {
    kind: 'postgres',
    async query<T extends Row = Row>(sql: string, params?: readonly QueryParam[]): Promise<QueryResult<T>> {
      ensureOpen();
      return base.query<T>(sql, params);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      ensureOpen();
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(queryable(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          // The connection is unusable (it timed out or the server went away): drop it from the pool.
          broken = rollbackErr instanceof Error ? rollbackErr : new Error('rollback failed');
        }
        throw err;
      } finally {
        client.release(broken);
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
