/**
 * HashiCorp Vault through node-vault 0.12: log in (Kubernetes or AppRole, or a given token),
 * keep the token alive (renew at 2/3 of its lease, log in again when it cannot be renewed),
 * read KV v2 secrets. Every call has a deadline; no error, log line or thrown object carries
 * the token, the secret id, the JWT or a secret value.
 *
 * node-vault pitfalls handled here (FINDINGS and its source):
 * - it reads `VAULT_SKIP_VERIFY` (any value turns TLS verification off), `VAULT_TOKEN`,
 *   `VAULT_PREFIX` and `VAULT_NAMESPACE` from `process.env` by itself: verification is passed
 *   explicitly and those fields are overwritten after construction;
 * - with `DEBUG=node-vault` it prints request bodies (JWT, secret_id, secrets): its `debug`
 *   hook is replaced by a no-op;
 * - `kubernetesLogin()` without `mount_point` posts to `/auth//login` (the `kubernetesPath`
 *   template variable is never filled): the mount is always passed;
 * - its errors are AxiosErrors with `config.headers['X-Vault-Token']` and `config.data`: they
 *   are turned into a `SecretsError` and dropped;
 * - `startTokenRenewal()` never logs in again when renewal stops working: not used.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from '@stats-agent/logging';
import nodeVault from 'node-vault';
import type { Env, VaultConfig } from './config.js';
import { SecretsError, type SecretsErrorCode } from './errors.js';
import { readSecretFile } from './files.js';

export interface KvSecret {
  data: Record<string, unknown>;
  version: number;
}

export interface VaultSessionOptions {
  config: VaultConfig;
  env: Env;
  logger?: Logger | undefined;
  /** Called whenever the set of credentials (token, JWT, secret id) changes, for log scrubbing. */
  onCredentials?: ((values: string[]) => void) | undefined;
}

type Op = 'login' | 'renew' | 'lookup' | 'read';

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** Renew at this fraction of the lease. */
const RENEW_AT = 2 / 3;

/**
 * One authenticated Vault session. `start()` logs in (or checks the given token) and schedules
 * renewal; `close()` stops the timers. A renewal or re-login failure is logged and retried with
 * backoff (1 s doubling to 30 s) — the last good values keep being served meanwhile.
 */
export class VaultSession {
  private readonly client: nodeVault.client;
  private readonly cfg: VaultConfig;
  private readonly env: Env;
  private readonly logger: Logger | undefined;
  private readonly onCredentials: ((values: string[]) => void) | undefined;
  private token = '';
  private renewable = false;
  private loginLeaseSeconds = 0;
  private expiresAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;
  private closed = false;
  private loggingIn: Promise<void> | undefined;
  /** Credentials sent or received, scrubbed from every message (bounded: the last few). */
  private credentials: string[] = [];
  /** Extra values scrubbed from error messages (the loaded secrets). */
  private scrubValues: () => Iterable<string> = () => [];

  private constructor(client: nodeVault.client, opts: VaultSessionOptions) {
    this.client = client;
    this.cfg = opts.config;
    this.env = opts.env;
    this.logger = opts.logger;
    this.onCredentials = opts.onCredentials;
  }

  /** Builds the client (reads `VAULT_CACERT`) without contacting Vault. */
  static async create(opts: VaultSessionOptions): Promise<VaultSession> {
    const cfg = opts.config;
    let ca: string | undefined;
    if (cfg.caCertFile !== undefined) {
      try {
        ca = await readFile(cfg.caCertFile, 'utf8');
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        throw new SecretsError('SECRETS_ERR_FILE', `secrets: VAULT_CACERT: cannot read ${cfg.caCertFile}${typeof code === 'string' ? ` (${code})` : ''}`);
      }
    }
    const strictSSL = !cfg.skipVerify;
    // `rpDefaults` is read by node-vault 0.12 (src/index.js) but missing from its types.
    const options: nodeVault.VaultOptions & { rpDefaults: { strictSSL: boolean; timeout: number } } = {
      apiVersion: 'v1',
      endpoint: cfg.addr,
      ...(cfg.namespace !== undefined ? { namespace: cfg.namespace } : {}),
      debug: () => undefined,
      // rpDefaults.strictSSL would otherwise be !process.env.VAULT_SKIP_VERIFY.
      rpDefaults: { strictSSL, timeout: cfg.timeoutMs },
      requestOptions: { strictSSL, timeout: cfg.timeoutMs, ...(ca !== undefined ? { ca } : {}) },
    };
    const client = nodeVault(options);
    // Constructed from process.env when not given: never let the process environment decide.
    client.token = '';
    (client as unknown as { pathPrefix: string }).pathPrefix = '';
    (client as unknown as { namespace: string | undefined }).namespace = cfg.namespace;
    return new VaultSession(client, opts);
  }

  /** Registers the source of secret values to scrub from Vault's error messages. */
  setScrubValues(values: () => Iterable<string>): void {
    this.scrubValues = values;
  }

  /** The credentials of this session (token, JWT, secret id), for log scrubbing. */
  credentialValues(): string[] {
    return [...this.credentials];
  }

  get tokenExpiresAt(): number | undefined {
    return this.expiresAt;
  }

  /** Logs in (or looks up the given token) and schedules renewal. Throws a `SecretsError`. */
  async start(): Promise<void> {
    await this.authenticate();
  }

  /** Reads a KV v2 secret: `GET /v1/<mount>/data/<path>`, unwrapping `data.data`. */
  async readKv(path: string): Promise<KvSecret> {
    if (this.closed) throw new SecretsError('SECRETS_ERR_CLOSED', 'secrets: the Vault session is closed');
    if (this.loggingIn) await this.loggingIn;
    const where = `${this.cfg.kvMount}/data/${path}`;
    const body = await this.call('read', where, () => this.client.read(where, this.withToken()));
    const data = (body as { data?: { data?: unknown; metadata?: { version?: unknown } } } | undefined)?.data;
    if (data === undefined || data === null || typeof data.data !== 'object' || data.data === null) {
      throw new SecretsError('SECRETS_ERR_VAULT_READ', `secrets: vault read ${where}: no data (not a KV v2 secret, or its current version is deleted)`);
    }
    const version = typeof data.metadata?.version === 'number' ? data.metadata.version : 0;
    return { data: data.data as Record<string, unknown>, version };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.loggingIn?.catch(() => undefined);
  }

  // --- authentication -------------------------------------------------------------------

  private async authenticate(): Promise<void> {
    if (this.loggingIn) return this.loggingIn;
    this.loggingIn = this.doAuthenticate().finally(() => {
      this.loggingIn = undefined;
    });
    return this.loggingIn;
  }

  private async doAuthenticate(): Promise<void> {
    const auth = this.cfg.auth;
    if (auth.method === 'token') {
      const token = 'file' in auth.token ? await readSecretFile(auth.token.file, 'VAULT_TOKEN_FILE') : (this.env[auth.token.variable] ?? '');
      this.remember(token);
      const body = await this.call('lookup', 'auth/token/lookup-self', () => this.client.tokenLookupSelf({ requestOptions: this.withToken(token) }));
      const data = (body as { data?: { ttl?: unknown; renewable?: unknown } }).data ?? {};
      this.token = token;
      this.accept(typeof data.ttl === 'number' ? data.ttl : 0, data.renewable === true);
      return;
    }
    let body: unknown;
    if (auth.method === 'kubernetes') {
      // The projected service-account token rotates: read it at every login.
      const jwt = await readSecretFile(auth.jwtFile, 'VAULT_K8S_JWT_FILE');
      this.remember(jwt);
      body = await this.call('login', `auth/${auth.mount}/login`, () =>
        this.client.kubernetesLogin({ mount_point: auth.mount, role: auth.role, jwt, requestOptions: this.withToken('') }),
      );
    } else {
      const roleId = 'file' in auth.roleId ? await readSecretFile(auth.roleId.file, 'VAULT_ROLE_ID_FILE') : (this.env[auth.roleId.variable] ?? '');
      const secretId = await readSecretFile(auth.secretIdFile, 'VAULT_SECRET_ID_FILE');
      this.remember(secretId);
      body = await this.call('login', `auth/${auth.mount}/login`, () =>
        this.client.approleLogin({ mount_point: auth.mount, role_id: roleId, secret_id: secretId, requestOptions: this.withToken('') }),
      );
    }
    this.client.token = ''; // node-vault stores the login token; ours is passed per request
    const a = (body as { auth?: { client_token?: unknown; lease_duration?: unknown; renewable?: unknown } } | undefined)?.auth;
    if (!a || typeof a.client_token !== 'string' || a.client_token === '') {
      throw new SecretsError('SECRETS_ERR_VAULT_AUTH', `secrets: vault login at auth/${this.cfg.auth.method === 'token' ? 'token' : this.cfg.auth.mount}/login returned no client token`);
    }
    this.remember(a.client_token);
    this.token = a.client_token;
    const lease = typeof a.lease_duration === 'number' ? a.lease_duration : 0;
    this.loginLeaseSeconds = lease;
    this.accept(lease, a.renewable === true);
    this.logger?.info({ vault_auth: this.cfg.auth.method, lease_seconds: lease, renewable: a.renewable === true }, 'secrets: logged in to Vault');
  }

  /** A new lease: remember when it ends and schedule the renewal at 2/3 of it. */
  private accept(leaseSeconds: number, renewable: boolean): void {
    this.renewable = renewable;
    this.retryMs = RETRY_MIN_MS;
    if (leaseSeconds <= 0) {
      this.expiresAt = undefined; // a token without TTL (root or periodic without TTL) never expires
      return;
    }
    this.expiresAt = Date.now() + leaseSeconds * 1000;
    this.schedule(Math.max(200, Math.floor(leaseSeconds * 1000 * RENEW_AT)));
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.keepAlive(), delayMs);
    this.timer.unref();
  }

  /** Renew when possible; otherwise (or when renewal fails, or the max TTL is near) log in again. */
  private async keepAlive(): Promise<void> {
    this.timer = undefined;
    if (this.closed) return;
    const canLogin = this.cfg.auth.method !== 'token';
    if (this.renewable) {
      try {
        const body = await this.call('renew', 'auth/token/renew-self', () => this.client.tokenRenewSelf({ requestOptions: this.withToken() }));
        this.client.token = '';
        const a = (body as { auth?: { client_token?: unknown; lease_duration?: unknown; renewable?: unknown } } | undefined)?.auth;
        const lease = typeof a?.lease_duration === 'number' ? a.lease_duration : 0;
        // Near the token's max TTL Vault renews for less and less: log in again instead.
        const nearMax = canLogin && lease > 0 && lease < this.loginLeaseSeconds / 3;
        if (lease > 0 && !nearMax) {
          this.logger?.debug({ lease_seconds: lease }, 'secrets: Vault token renewed');
          this.accept(lease, a?.renewable !== false);
          return;
        }
        if (!canLogin) {
          this.accept(lease, false);
          return;
        }
        this.logger?.info({ lease_seconds: lease }, 'secrets: Vault token near its max TTL; logging in again');
      } catch (err) {
        this.logger?.warn({ err }, canLogin ? 'secrets: Vault token renewal failed; logging in again' : 'secrets: Vault token renewal failed');
        if (!canLogin) return this.retryLater();
      }
    } else if (!canLogin) {
      this.logger?.error('secrets: the Vault token is not renewable and expires; give a new VAULT_TOKEN');
      return;
    }
    try {
      await this.authenticate();
    } catch (err) {
      this.logger?.error({ err }, 'secrets: Vault login failed; retrying');
      this.retryLater();
    }
  }

  private retryLater(): void {
    const delay = this.retryMs;
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    this.schedule(delay);
  }

  // --- calls ----------------------------------------------------------------------------

  private withToken(token = this.token): { headers: Record<string, string> } {
    // An empty header value makes node-vault fall back to client.token, which is kept empty.
    return { headers: token === '' ? {} : { 'X-Vault-Token': token } };
  }

  private remember(value: string): void {
    if (value === '' || this.credentials.includes(value)) return;
    this.credentials = [...this.credentials, value].slice(-6);
    this.onCredentials?.(this.credentialValues());
  }

  /** Runs one node-vault call under the deadline; any failure becomes a clean SecretsError. */
  private async call(op: Op, where: string, fn: () => Promise<unknown>): Promise<unknown> {
    const ms = this.cfg.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SecretsError('SECRETS_ERR_VAULT_UNAVAILABLE', `secrets: vault ${op} ${where}: no answer within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([fn(), deadline]);
    } catch (err) {
      throw this.clean(op, where, err);
    } finally {
      clearTimeout(timer);
    }
  }

  private clean(op: Op, where: string, err: unknown): SecretsError {
    if (err instanceof SecretsError) return err;
    const e = err as { response?: { statusCode?: unknown; body?: unknown }; code?: unknown; message?: unknown };
    const status = typeof e.response?.statusCode === 'number' ? e.response.statusCode : undefined;
    if (status !== undefined) {
      const errors = (e.response?.body as { errors?: unknown } | undefined)?.errors;
      const texts = Array.isArray(errors) ? errors.filter((x): x is string => typeof x === 'string') : [];
      const detail = texts.length > 0 ? this.scrub(texts.join('; ')) : status === 404 ? 'not found' : 'no error message';
      let code: SecretsErrorCode;
      if (status >= 500 || status === 429) code = 'SECRETS_ERR_VAULT_UNAVAILABLE';
      else if (op === 'login' || op === 'lookup') code = 'SECRETS_ERR_VAULT_AUTH';
      else code = 'SECRETS_ERR_VAULT_READ';
      const sealed = status === 503 ? ' (sealed or in maintenance)' : '';
      return new SecretsError(code, `secrets: vault ${op} ${where}: HTTP ${status}${sealed}: ${detail}`, { status });
    }
    const code = typeof e.code === 'string' && /^[A-Z0-9_]{2,40}$/.test(e.code) ? e.code : undefined;
    const message = typeof e.message === 'string' ? this.scrub(e.message) : 'unknown error';
    return new SecretsError('SECRETS_ERR_VAULT_UNAVAILABLE', `secrets: vault ${op} ${where}: ${code !== undefined && !message.includes(code) ? `${code}: ` : ''}${message}`);
  }

  /** A message from Vault or the HTTP stack, fit for an error: credentials and values removed, short, one line. */
  private scrub(text: string): string {
    let out = text;
    for (const v of [...this.credentials, ...this.scrubValues()]) if (v.length >= 4) out = out.split(v).join('[REDACTED]');
    // Vault token shapes (hvs./hvb./hvr. and legacy s./b./r.) whatever their origin.
    out = out.replace(/\b(?:hv[sbr]|[sbr])\.[A-Za-z0-9_-]{16,}/g, '[REDACTED]');
    // eslint-disable-next-line no-control-regex
    out = out.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
    return out.length > 300 ? `${out.slice(0, 300)}…` : out;
  }
}
