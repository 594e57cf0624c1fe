/**
 * The audit error catalog. Messages start with `audit:` and name files, seqs and limits — never
 * a key, token or record text.
 */
export type AuditErrorCode =
  /** An event failed validation (a programming error: free text, an unknown action, …). */
  | 'AUDIT_ERR_INVALID_EVENT'
  /** The queue stayed full for longer than the configured wait; the event was dropped and counted. */
  | 'AUDIT_ERR_QUEUE_FULL'
  /** The log was closed. */
  | 'AUDIT_ERR_CLOSED'
  /** Writing, syncing or opening the log failed. */
  | 'AUDIT_ERR_IO'
  /** The configuration (environment or options) is wrong; `problems` lists every problem. */
  | 'AUDIT_ERR_CONFIG'
  /** The log is keyed (hmac-sha256) and no key was given to verify it. */
  | 'AUDIT_ERR_KEY_REQUIRED'
  /** The input to verify is unreadable (not a file, too large, a bad head file). */
  | 'AUDIT_ERR_INPUT';

export class AuditError extends Error {
  override readonly name = 'AuditError';
  readonly code: AuditErrorCode;
  readonly problems: readonly string[];

  constructor(code: AuditErrorCode, message: string, opts: { problems?: readonly string[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.problems = opts.problems ?? [];
  }
}
