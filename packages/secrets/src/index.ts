/**
 * Secrets behind one interface. A service declares the secrets it needs; at start-up they are
 * loaded from HashiCorp Vault (when `VAULT_ADDR` is set) or from environment variables and
 * mounted files (`<NAME>_FILE`), every missing one reported at once by name. Values are
 * refreshed in the background (rotated files, new Vault KV versions), read with `get()` where
 * they are used, and handed to the log scrubber of `@stats-agent/logging` so they never
 * appear in a log line.
 *
 * ```ts
 * const secrets = await loadSecrets({
 *   env: process.env,
 *   declare: [{ name: 'SERPER_API_KEY', required: true }, { name: 'OPENAI_API_KEY', required: false }],
 *   logger,
 * });
 * const key = secrets.require('SERPER_API_KEY'); // at each use: rotation is picked up
 * // on shutdown: await secrets.close();
 * ```
 */
import type { Logger, SecretScrubber } from '@stats-agent/logging';
import { secretsFromEnv, type Env } from './config.js';
import { openSecrets } from './store.js';
import type { SecretDeclaration, Secrets } from './types.js';

export {
  secretsFromEnv,
  DEFAULT_K8S_JWT_FILE,
  DEFAULT_REFRESH_INTERVAL_MS,
  DEFAULT_VAULT_TIMEOUT_MS,
  MAX_SECRET_FILE_BYTES,
  type Env,
  type SecretsConfig,
  type VaultConfig,
  type VaultAuthConfig,
  type DeclaredSecret,
  type EnvSource,
} from './config.js';
export { SecretsError, type SecretsErrorCode } from './errors.js';
export { readSecretFile } from './files.js';
export { openSecrets, type OpenSecretsOptions } from './store.js';
export type { SecretDeclaration, Secrets, SecretsChange, SecretsProviderKind, SecretsStatus } from './types.js';

export interface LoadSecretsOptions {
  /** The environment to read (`process.env` in a service's main). */
  env: Env;
  /** The secrets this service needs. */
  declare: readonly SecretDeclaration[];
  /** Where the store logs loading, rotation and renewal problems (never values). */
  logger?: Logger | undefined;
  /** Overrides `SECRETS_REFRESH_INTERVAL_MS` (ms; 0 turns background refresh off). */
  refreshIntervalMs?: number | undefined;
  /** Where values are registered for log scrubbing: the process-wide scrubber by default; false for nowhere. */
  scrubber?: SecretScrubber | false | undefined;
}

/**
 * Reads the configuration from `env` ({@link secretsFromEnv}) and loads every declared secret.
 * Resolves with the store once all required secrets are loaded; rejects with one `SecretsError`
 * naming every problem (missing variables, unreadable files) or the Vault failure — fail fast
 * and exit. Close the store on shutdown (it stops the refresh and renewal timers; they are
 * unref'd, so a forgotten store does not hold the process open).
 */
export async function loadSecrets(opts: LoadSecretsOptions): Promise<Secrets> {
  const config = secretsFromEnv(opts.env, opts.declare);
  return openSecrets(config, { env: opts.env, logger: opts.logger, refreshIntervalMs: opts.refreshIntervalMs, scrubber: opts.scrubber });
}
