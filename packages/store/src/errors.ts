/**
 * The store's error catalog. Messages start with `store:` and name tables, ids and limits —
 * never a row's content, a query's parameters or a database password. A driver error is never
 * kept as `cause` as it is: PGlite's errors carry the query's `params` (topics, candidate
 * statistics, owners) and pg's `detail` repeats key values, so whoever logs the cause would
 * print them. `cause` is a copy that holds only the SQLSTATE, the server's message and the
 * names of the table, column and constraint.
 */

export type StoreErrorCode =
  /** The options or environment are wrong; `problems` lists every problem. */
  | 'STORE_ERR_CONFIG'
  /** An argument is malformed (an empty id, a negative limit, a value that is not JSON). */
  | 'STORE_ERR_INVALID_INPUT'
  /** A JSON value, a batch or a text is larger than the store accepts. */
  | 'STORE_ERR_TOO_LARGE'
  /** The run, dead letter or step does not exist (or belongs to someone else). */
  | 'STORE_ERR_NOT_FOUND'
  /** The change conflicts with the stored state (a key used by another run, a broken audit chain, a final state). */
  | 'STORE_ERR_CONFLICT'
  /** The database's schema is newer than this code, or an applied migration was edited. */
  | 'STORE_ERR_SCHEMA'
  /** The PGlite directory is in use by another store (this or another process). */
  | 'STORE_ERR_LOCKED'
  /** The database cannot be reached, refused the login, or a connection could not be had in time. */
  | 'STORE_ERR_UNAVAILABLE'
  /** A statement ran longer than the statement timeout. */
  | 'STORE_ERR_TIMEOUT'
  /** A row read back does not have the shape this code expects. */
  | 'STORE_ERR_ROW'
  /** The store was closed. */
  | 'STORE_ERR_CLOSED'
  /** Any other database error. */
  | 'STORE_ERR_DATABASE';

/** What is kept of a driver error: nothing that can hold a row's data. */
export interface DatabaseErrorInfo {
  /** SQLSTATE, e.g. `23505`; or a Node error code such as `ECONNREFUSED`. */
  code: string | undefined;
  message: string;
  table?: string;
  column?: string;
  constraint?: string;
}

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;
  /** Each problem, one line each (configuration errors). */
  readonly problems: readonly string[];

  constructor(code: StoreErrorCode, message: string, opts: { problems?: readonly string[]; cause?: DatabaseErrorInfo } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.problems = opts.problems ?? [];
  }
}

/** One error for many problems: `store: <what>:\n  - problem\n  - problem`. */
export function problemsError(code: StoreErrorCode, what: string, problems: readonly string[]): StoreError {
  return new StoreError(code, `store: ${what}:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { problems });
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The safe part of a driver error (see the catalog's comment). */
export function databaseErrorInfo(err: unknown): DatabaseErrorInfo {
  if (typeof err !== 'object' || err === null) return { code: undefined, message: String(err) };
  const e = err as Record<string, unknown>;
  const info: DatabaseErrorInfo = { code: str(e['code']), message: str(e['message']) ?? 'unknown error' };
  const table = str(e['table']);
  const column = str(e['column']);
  const constraint = str(e['constraint']);
  if (table !== undefined) info.table = table;
  if (column !== undefined) info.column = column;
  if (constraint !== undefined) info.constraint = constraint;
  // AggregateError (pg on a host with several addresses): keep the first inner code.
  if (info.code === undefined && Array.isArray(e['errors']) && e['errors'].length > 0) {
    const inner = databaseErrorInfo(e['errors'][0]);
    info.code = inner.code;
    if (info.message === 'unknown error' || info.message === '') info.message = inner.message;
  }
  return info;
}

const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOENT']);

/**
 * Turns any error thrown by a driver into a StoreError (a StoreError passes through unchanged).
 * `what` names the operation, e.g. `createRun`.
 */
export function toStoreError(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err;
  const info = databaseErrorInfo(err);
  const code = info.code ?? '';
  const where = `store: ${what}`;
  if (code === '57014' || /query read timeout/i.test(info.message)) {
    return new StoreError('STORE_ERR_TIMEOUT', `${where}: the statement timed out`, { cause: info });
  }
  if (
    UNAVAILABLE_NODE_CODES.has(code) ||
    code.startsWith('08') || // connection exceptions
    code === '28P01' || code === '28000' || // authentication
    code === '3D000' || // database does not exist
    code === '57P01' || code === '57P02' || code === '57P03' || // admin shutdown, crash shutdown, cannot connect now
    code === '53300' || // too many connections
    /timeout exceeded when trying to connect|Connection terminated|connection timeout/i.test(info.message)
  ) {
    return new StoreError('STORE_ERR_UNAVAILABLE', `${where}: the database is unavailable (${code || info.message})`, { cause: info });
  }
  if (code === '23503') {
    return new StoreError('STORE_ERR_NOT_FOUND', `${where}: the run it refers to does not exist`, { cause: info });
  }
  if (code === '23505' || code === '40001' || code === '40P01' || code === '55P03') {
    return new StoreError('STORE_ERR_CONFLICT', `${where}: conflicting change (${code}${info.constraint ? ` on ${info.constraint}` : ''})`, { cause: info });
  }
  if (code === '22P05' || code === '22021' || code === '22P02' || code === '22023' || code === '22003') {
    return new StoreError('STORE_ERR_INVALID_INPUT', `${where}: the database refused a value (${code})`, { cause: info });
  }
  return new StoreError('STORE_ERR_DATABASE', `${where}: database error (${code || 'no code'})`, { cause: info });
}
