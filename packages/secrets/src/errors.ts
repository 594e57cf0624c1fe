/**
 * The secrets error catalog. Messages start with `secrets:`, name variables, files, Vault paths
 * and HTTP statuses — never a value, token, secret id or JWT. A Vault client error is never
 * kept as `cause`: node-vault's AxiosErrors carry the request headers (X-Vault-Token) and body
 * (login JWT, secret_id), and whoever logs the cause would print them.
 */

export type SecretsErrorCode =
  /** The configuration (environment) is wrong; `problems` lists every problem. */
  | 'SECRETS_ERR_CONFIG'
  /** Required secrets are missing; `problems` names each one. */
  | 'SECRETS_ERR_MISSING'
  /** A `*_FILE` secret file cannot be read, is empty or too large. */
  | 'SECRETS_ERR_FILE'
  /** A name that was not declared was asked for (a programming error). */
  | 'SECRETS_ERR_UNDECLARED'
  /** Vault refused to log in (wrong role, secret id, JWT). */
  | 'SECRETS_ERR_VAULT_AUTH'
  /** Vault refused a read (permission denied, not found, bad request). */
  | 'SECRETS_ERR_VAULT_READ'
  /** Vault is sealed, unreachable, timed out or answered with a server error. */
  | 'SECRETS_ERR_VAULT_UNAVAILABLE'
  /** The store was closed. */
  | 'SECRETS_ERR_CLOSED';

export class SecretsError extends Error {
  override readonly name = 'SecretsError';
  readonly code: SecretsErrorCode;
  /** Each problem, one line each (configuration and missing-secret errors). */
  readonly problems: readonly string[];
  /** The HTTP status Vault answered with, when it answered. */
  readonly status: number | undefined;

  constructor(code: SecretsErrorCode, message: string, opts: { problems?: readonly string[]; status?: number } = {}) {
    super(message);
    this.code = code;
    this.problems = opts.problems ?? [];
    this.status = opts.status;
  }
}

/** One error for many problems: `secrets: <what>:\n  - problem\n  - problem`. */
export function problemsError(code: SecretsErrorCode, what: string, problems: readonly string[]): SecretsError {
  return new SecretsError(code, `secrets: ${what}:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { problems });
}
