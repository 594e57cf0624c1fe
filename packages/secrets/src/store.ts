import { defaultScrubber, MIN_SCRUB_LENGTH, type Logger, type SecretScrubber } from '@stats-agent/logging';
import type { DeclaredSecret, Env, SecretsConfig } from './config.js';
import { problemsError, SecretsError } from './errors.js';
import { readSecretFile } from './files.js';
import type { Secrets, SecretsChange, SecretsProviderKind, SecretsStatus } from './types.js';
import { VaultSession } from './vault.js';

export interface OpenSecretsOptions {
  env: Env;
  logger?: Logger | undefined;
  /** Overrides the configured refresh interval (ms; 0 turns background refresh off). */
  refreshIntervalMs?: number | undefined;
  /**
   * Where loaded values are registered for log scrubbing: the process-wide scrubber of
   * `@stats-agent/logging` by default, `false` for nowhere.
   */
  scrubber?: SecretScrubber | false | undefined;
}

let storeCount = 0;

/**
 * Loads every declared secret from the configured provider and returns the store. Throws one
 * `SecretsError` naming every missing required secret (`SECRETS_ERR_MISSING`), or the first
 * file/Vault failure; nothing is left running when it throws.
 */
export async function openSecrets(config: SecretsConfig, opts: OpenSecretsOptions): Promise<Secrets> {
  const store = new SecretStore(config, opts);
  try {
    await store.start();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

class SecretStore implements Secrets {
  readonly provider: SecretsProviderKind;
  private readonly config: SecretsConfig;
  private readonly env: Env;
  private readonly logger: Logger | undefined;
  private readonly scrubber: SecretScrubber | undefined;
  private readonly scrubSource = `secrets#${++storeCount}`;
  private readonly declared: ReadonlyMap<string, DeclaredSecret>;
  private readonly intervalMs: number;
  private current = new Map<string, string>();
  /** The value each rotated secret had before, still scrubbed from logs. */
  private previous = new Map<string, string>();
  private versions = new Map<string, number>();
  private readonly listeners = new Set<(change: SecretsChange) => void>();
  private vault: VaultSession | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private lastRefreshAt = 0;
  private refreshFailing = false;
  private closed = false;

  constructor(config: SecretsConfig, opts: OpenSecretsOptions) {
    this.config = config;
    this.provider = config.provider;
    this.env = opts.env;
    this.logger = opts.logger;
    this.scrubber = opts.scrubber === false ? undefined : (opts.scrubber ?? defaultScrubber);
    this.declared = new Map(config.secrets.map((s) => [s.name, s]));
    this.intervalMs = opts.refreshIntervalMs ?? config.refreshIntervalMs;
  }

  async start(): Promise<void> {
    for (const w of this.config.warnings) this.logger?.warn(w);
    if (this.config.provider === 'vault' && this.config.vault) {
      this.vault = await VaultSession.create({
        config: this.config.vault,
        env: this.env,
        logger: this.logger,
        onCredentials: () => this.publish(),
      });
      this.vault.setScrubValues(() => this.values());
      await this.vault.start();
    }
    const values = await this.readAll();
    this.apply(values, false);
    for (const [name, v] of this.current) {
      if (v.length < MIN_SCRUB_LENGTH) this.logger?.warn({ secret_name: name }, `secrets: ${name} is shorter than ${MIN_SCRUB_LENGTH} characters and cannot be scrubbed from logs`);
    }
    this.logger?.info(
      { provider: this.provider, loaded: [...this.current.keys()], missing_optional: this.config.secrets.filter((s) => !this.current.has(s.name)).map((s) => s.name) },
      'secrets: loaded',
    );
    this.scheduleRefresh();
  }

  get(name: string): string | undefined {
    this.check(name);
    return this.current.get(name);
  }

  require(name: string): string {
    const v = this.get(name);
    if (v === undefined) throw new SecretsError('SECRETS_ERR_MISSING', `secrets: ${name} is not set`, { problems: [`${name} is not set`] });
    return v;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  values(): string[] {
    return [...new Set([...this.current.values(), ...this.previous.values(), ...(this.vault?.credentialValues() ?? [])])];
  }

  onChange(listener: (change: SecretsChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async refresh(): Promise<void> {
    if (this.closed) throw new SecretsError('SECRETS_ERR_CLOSED', 'secrets: the store is closed');
    if (this.refreshing) return this.refreshing;
    this.refreshing = (async () => {
      try {
        const values = await this.readAll();
        this.refreshFailing = false;
        this.apply(values, true);
      } catch (err) {
        this.refreshFailing = true;
        throw err;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  status(): SecretsStatus {
    return {
      provider: this.provider,
      lastRefreshAt: this.lastRefreshAt,
      refreshFailing: this.refreshFailing,
      ...(this.vault ? { tokenExpiresAt: this.vault.tokenExpiresAt } : {}),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.refreshing?.catch(() => undefined);
    await this.vault?.close();
    // The values stay registered with the scrubber: shutdown lines may still carry them.
  }

  // --- internals ------------------------------------------------------------------------

  private check(name: string): void {
    if (!this.declared.has(name)) throw new SecretsError('SECRETS_ERR_UNDECLARED', `secrets: ${name} was not declared`);
  }

  private scheduleRefresh(): void {
    if (this.closed || this.intervalMs <= 0) return;
    this.timer = setTimeout(() => {
      this.refresh()
        .catch((err: unknown) => this.logger?.warn({ err }, 'secrets: refresh failed; keeping the previous values'))
        .finally(() => this.scheduleRefresh());
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Reads every declared secret from its source. Throws listing every missing required secret. */
  private async readAll(): Promise<Map<string, string>> {
    return this.config.provider === 'vault' ? this.readVault() : this.readEnv();
  }

  private async readEnv(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const problems: string[] = [];
    for (const s of this.config.secrets) {
      const src = this.config.sources[s.name];
      if (src?.kind === 'env') {
        const v = this.env[src.variable];
        if (v !== undefined && v !== '') out.set(s.name, v);
      } else if (src?.kind === 'file') {
        try {
          out.set(s.name, await readSecretFile(src.path, src.variable));
        } catch (err) {
          problems.push(err instanceof SecretsError ? err.message.replace(/^secrets: /, '') : `${src.variable}: cannot read ${src.path}`);
        }
      }
      if (!out.has(s.name) && s.required && src?.kind !== 'file') problems.push(`${s.name} is required: set ${s.name} or ${s.name}_FILE`);
    }
    if (problems.length > 0) throw problemsError(problems.every((p) => p.includes('is required')) ? 'SECRETS_ERR_MISSING' : 'SECRETS_ERR_FILE', 'secrets not loaded', problems);
    return out;
  }

  private async readVault(): Promise<Map<string, string>> {
    const vault = this.vault;
    if (!vault) throw new SecretsError('SECRETS_ERR_CONFIG', 'secrets: Vault is not configured');
    const paths = [...new Set(this.config.secrets.map((s) => s.vaultPath))];
    const read = new Map<string, Record<string, unknown>>();
    for (const path of paths) {
      const kv = await vault.readKv(path);
      const before = this.versions.get(path);
      if (before !== undefined && before !== kv.version) this.logger?.info({ vault_path: path, version: kv.version, previous_version: before }, 'secrets: new Vault secret version');
      this.versions.set(path, kv.version);
      read.set(path, kv.data);
    }
    const out = new Map<string, string>();
    const problems: string[] = [];
    for (const s of this.config.secrets) {
      const where = `${this.config.vault?.kvMount ?? ''}/data/${s.vaultPath} field ${s.vaultField}`;
      const v = read.get(s.vaultPath)?.[s.vaultField];
      if (typeof v === 'string' && v !== '') out.set(s.name, v);
      else if (typeof v === 'number' || typeof v === 'boolean') out.set(s.name, String(v));
      else if (v !== undefined && v !== null && v !== '') problems.push(`${s.name}: Vault ${where} is not a string`);
      else if (s.required) problems.push(`${s.name} is required: missing in Vault at ${where}`);
    }
    if (problems.length > 0) throw problemsError('SECRETS_ERR_MISSING', 'secrets not loaded', problems);
    return out;
  }

  private apply(values: Map<string, string>, notify: boolean): void {
    const changed: string[] = [];
    for (const s of this.config.secrets) {
      const before = this.current.get(s.name);
      const after = values.get(s.name);
      if (before === after) continue;
      changed.push(s.name);
      if (before !== undefined) this.previous.set(s.name, before);
    }
    this.current = values;
    this.lastRefreshAt = Date.now();
    this.publish();
    if (!notify || changed.length === 0) return;
    this.logger?.info({ secrets: changed }, 'secrets: values rotated');
    for (const l of this.listeners) {
      try {
        l({ names: [...changed] });
      } catch (err) {
        this.logger?.error({ err }, 'secrets: a change listener threw');
      }
    }
  }

  /** Hands every value (current, previous, Vault credentials) to the log scrubber. */
  private publish(): void {
    this.scrubber?.set(this.scrubSource, this.values());
  }
}
