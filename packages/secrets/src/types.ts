/** A secret a service needs. */
export interface SecretDeclaration {
  /** The variable name, upper snake case: `SERPER_API_KEY`. */
  name: string;
  /** Start-up fails when a required secret is missing (default true). */
  required?: boolean;
  /**
   * Where the secret sits in Vault: the KV v2 path inside the mount (default `VAULT_SECRET_PATH`)
   * and the field of that secret (default the name).
   */
  vault?: { path?: string; field?: string };
}

/** Where the values come from. */
export type SecretsProviderKind = 'env' | 'vault';

export interface SecretsStatus {
  provider: SecretsProviderKind;
  /** When the values were last read successfully (ms since epoch). */
  lastRefreshAt: number;
  /** The last background refresh failed (the previous values are still served). */
  refreshFailing: boolean;
  /** Vault only: when the current token expires (ms since epoch; undefined when it never does). */
  tokenExpiresAt?: number | undefined;
}

/** Why a value changed: a mounted file or a Vault KV secret was rotated. */
export interface SecretsChange {
  /** The names whose values changed (never the values). */
  names: string[];
}

/**
 * The loaded secrets of one service. Read a value with {@link Secrets.get} where it is used, not
 * once at start-up: values are refreshed in the background (rotated files, new Vault KV
 * versions) and `get` always returns the current one.
 */
export interface Secrets {
  readonly provider: SecretsProviderKind;
  /** The current value, or undefined for an optional secret that is not set. Throws for an undeclared name. */
  get(name: string): string | undefined;
  /** The current value; throws `SECRETS_ERR_MISSING` when it is not set. Throws for an undeclared name. */
  require(name: string): string;
  /** Whether the secret has a value. Throws for an undeclared name. */
  has(name: string): boolean;
  /**
   * Every value this store holds or held recently — current values, the previous value of each
   * rotated secret, and the Vault credentials (token, secret id, JWT) — for log scrubbing.
   */
  values(): string[];
  /** Called after a refresh changed values; returns a function that unsubscribes. */
  onChange(listener: (change: SecretsChange) => void): () => void;
  /** Re-reads every source now (files, Vault KV); keeps the previous values when that fails and throws. */
  refresh(): Promise<void>;
  status(): SecretsStatus;
  /** Stops the background refresh and token renewal. Idempotent. */
  close(): Promise<void>;
}
