/**
 * The one seam between the store and a database: PGlite in process or a Postgres server through
 * `pg.Pool`. Both speak the same SQL with `$1` parameters; nothing above this file knows which
 * one it talks to.
 */

export type Row = Record<string, unknown>;

export interface QueryResult<T extends Row = Row> {
  rows: T[];
  /** Rows inserted, updated or deleted (0 for a SELECT on PGlite; use `rows.length` there). */
  rowCount: number;
}

export interface Queryable {
  /** Runs one statement. Parameters are strings, numbers, booleans, null or Date — JSON goes as text and is cast in SQL (`$1::text::jsonb`). */
  query<T extends Row = Row>(sql: string, params?: readonly QueryParam[]): Promise<QueryResult<T>>;
}

export type QueryParam = string | number | boolean | null | Date;

export interface Driver extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `fn` inside BEGIN … COMMIT on one connection; ROLLBACK when it throws (the error is
   * rethrown). `fn` must use the `tx` it is given, never the driver: on PGlite the driver waits
   * for the transaction to end, so a query on it from inside `fn` would never return.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Closes the pool or the embedded database. Idempotent. Queries after close fail with STORE_ERR_CLOSED. */
  close(): Promise<void>;
}

/** The logger the store may be given (pino's `(obj, msg)` signature). The store never logs without one. */
export interface StoreLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
