/**
 * Which provider, from the environment: Vault when `VAULT_ADDR` is set, otherwise environment
 * variables and `<NAME>_FILE` files. Every problem is reported at once, by variable name; no
 * value ever appears in a message. The result holds no secret value (values are read when the
 * store loads), so it can be logged.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { problemsError } from './errors.js';
import type { SecretDeclaration } from './types.js';

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_K8S_JWT_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';
export const DEFAULT_REFRESH_INTERVAL_MS = 60_000;
export const DEFAULT_VAULT_TIMEOUT_MS = 5_000;
/** Secret files larger than this are refused (a mounted key is a few hundred bytes). */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

export interface DeclaredSecret {
  name: string;
  required: boolean;
  vaultPath: string;
  vaultField: string;
}

/** Where one secret comes from in env mode. */
export type EnvSource = { kind: 'env'; variable: string } | { kind: 'file'; variable: string; path: string } | { kind: 'unset' };

export type VaultAuthConfig =
  | { method: 'kubernetes'; mount: string; role: string; jwtFile: string }
  | { method: 'approle'; mount: string; roleId: { variable: string } | { file: string }; secretIdFile: string }
  | { method: 'token'; token: { variable: string } | { file: string } };

export interface VaultConfig {
  /** `VAULT_ADDR` without a trailing slash. */
  addr: string;
  auth: VaultAuthConfig;
  kvMount: string;
  namespace: string | undefined;
  /** PEM file with the CA that signed Vault's certificate (`VAULT_CACERT`). */
  caCertFile: string | undefined;
  /** Deadline of every Vault call. */
  timeoutMs: number;
  /** TLS verification off: only ever true in development (NODE_ENV=development) with VAULT_SKIP_VERIFY=true. */
  skipVerify: boolean;
}

export interface SecretsConfig {
  provider: 'env' | 'vault';
  secrets: readonly DeclaredSecret[];
  /** env mode: where each declared secret comes from, by name. */
  sources: Readonly<Record<string, EnvSource>>;
  vault: VaultConfig | undefined;
  /** How often files and Vault KV secrets are re-read; 0 turns it off. */
  refreshIntervalMs: number;
  /** Things worth a warning at start-up (never values). */
  warnings: readonly string[];
}

const NAME = /^[A-Z][A-Z0-9_]*$/;
const KV_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const MOUNT = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

const intMs = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number of milliseconds')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const EnvSchema = z.object({
  VAULT_ADDR: z.string().optional(),
  VAULT_AUTH: z.enum(['kubernetes', 'approle', 'token']).optional(),
  VAULT_AUTH_MOUNT: z.string().regex(MOUNT, 'must be a mount path such as kubernetes or k8s/prod').optional(),
  VAULT_ROLE: z.string().min(1).optional(),
  VAULT_K8S_JWT_FILE: z.string().min(1).optional(),
  VAULT_ROLE_ID: z.string().min(1).optional(),
  VAULT_ROLE_ID_FILE: z.string().min(1).optional(),
  VAULT_SECRET_ID_FILE: z.string().min(1).optional(),
  VAULT_TOKEN_FILE: z.string().min(1).optional(),
  VAULT_KV_MOUNT: z.string().regex(MOUNT, 'must be a mount path such as secret').optional(),
  VAULT_SECRET_PATH: z.string().regex(KV_PATH, 'must be a path inside the KV mount such as stats-agent/research').optional(),
  VAULT_NAMESPACE: z.string().min(1).optional(),
  VAULT_CACERT: z.string().min(1).optional(),
  VAULT_TIMEOUT_MS: intMs(100, 120_000).optional(),
  SECRETS_REFRESH_INTERVAL_MS: intMs(0, 86_400_000).optional(),
});

function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

/** Empty strings count as unset (a `KEY=` line in an env file). */
function present(env: Env, key: string): string | undefined {
  const v = env[key];
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Reads the secrets configuration from `env` for the declared secrets. Throws one
 * `SECRETS_ERR_CONFIG` error listing every problem (each missing required variable by name,
 * conflicting `NAME`/`NAME_FILE`, bad Vault settings); reads no file and contacts nothing.
 */
export function secretsFromEnv(env: Env, declarations: readonly SecretDeclaration[]): SecretsConfig {
  const problems: string[] = [];
  const warnings: string[] = [];

  const seen = new Set<string>();
  for (const d of declarations) {
    if (!NAME.test(d.name)) problems.push(`declared secret name ${JSON.stringify(d.name)} must be upper snake case (e.g. SERPER_API_KEY)`);
    else if (seen.has(d.name)) problems.push(`secret ${d.name} is declared twice`);
    seen.add(d.name);
    if (d.vault?.path !== undefined && !KV_PATH.test(d.vault.path)) problems.push(`secret ${d.name}: vault.path must be a path inside the KV mount`);
  }

  // Only the keys the schema knows are looked at, each on its own so that one bad variable
  // does not hide the others; empty strings count as unset.
  const picked: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(EnvSchema.shape)) {
    const v = present(env, key);
    if (v === undefined) continue;
    const r = schema.safeParse(v);
    if (r.success) picked[key] = r.data;
    else problems.push(`${key}: ${r.error.issues.map((i) => i.message).join('; ')}`);
  }
  // Each present key was parsed by its own schema above: `picked` has the output shape.
  const e = picked as z.output<typeof EnvSchema>;
  const refreshIntervalMs = e.SECRETS_REFRESH_INTERVAL_MS ?? DEFAULT_REFRESH_INTERVAL_MS;

  const vaultMode = present(env, 'VAULT_ADDR') !== undefined;
  const secrets: DeclaredSecret[] = declarations.filter((d) => NAME.test(d.name)).map((d) => ({
    name: d.name,
    required: d.required ?? true,
    vaultPath: d.vault?.path ?? e.VAULT_SECRET_PATH ?? '',
    vaultField: d.vault?.field ?? d.name,
  }));

  const sources: Record<string, EnvSource> = {};
  let vault: VaultConfig | undefined;

  if (!vaultMode) {
    for (const s of secrets) {
      const direct = present(env, s.name);
      const file = present(env, `${s.name}_FILE`);
      if (direct !== undefined && file !== undefined) {
        problems.push(`${s.name} and ${s.name}_FILE are both set: set only one`);
      } else if (file !== undefined) {
        sources[s.name] = { kind: 'file', variable: `${s.name}_FILE`, path: file };
      } else if (direct !== undefined) {
        sources[s.name] = { kind: 'env', variable: s.name };
      } else {
        sources[s.name] = { kind: 'unset' };
        if (s.required) problems.push(`${s.name} is required: set ${s.name} or ${s.name}_FILE`);
      }
    }
  } else {
    vault = vaultConfig(env, e, secrets, problems, warnings);
  }

  if (problems.length > 0) throw problemsError('SECRETS_ERR_CONFIG', 'invalid secrets configuration', problems);
  return Object.freeze({
    provider: vaultMode ? 'vault' : 'env',
    secrets: Object.freeze(secrets),
    sources: Object.freeze(sources),
    vault,
    refreshIntervalMs,
    warnings: Object.freeze(warnings),
  });
}

function vaultConfig(env: Env, e: z.infer<typeof EnvSchema>, secrets: DeclaredSecret[], problems: string[], warnings: string[]): VaultConfig | undefined {
  const development = env['NODE_ENV'] === 'development';
  let addr = '';
  let loopback = false;
  try {
    const url = new URL(present(env, 'VAULT_ADDR') ?? '');
    loopback = isLoopbackHost(url.hostname);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') problems.push('VAULT_ADDR must be an https:// URL');
    else if (url.protocol === 'http:' && !loopback) problems.push('VAULT_ADDR must use https:// (plain http is allowed only to a loopback address)');
    if (url.username || url.password) problems.push('VAULT_ADDR must not carry credentials');
    if (url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) problems.push('VAULT_ADDR must be a base URL such as https://vault.example:8200');
    addr = `${url.protocol}//${url.host}`;
  } catch {
    problems.push('VAULT_ADDR is not a valid URL');
  }

  // node-vault turns TLS verification off when VAULT_SKIP_VERIFY has ANY value, "false"
  // included (FINDINGS). We always pass verification explicitly; the variable itself is refused
  // outside development so nobody believes it does what it does elsewhere.
  let skipVerify = false;
  const skip = env['VAULT_SKIP_VERIFY'];
  if (skip !== undefined) {
    if (!development) {
      problems.push('VAULT_SKIP_VERIFY is set: refused outside development (NODE_ENV=development); give Vault\'s CA with VAULT_CACERT instead');
    } else if (/^(1|true|yes)$/i.test(skip)) {
      skipVerify = true;
      warnings.push('VAULT_SKIP_VERIFY: TLS verification of Vault is OFF (development only)');
    }
  }

  const pathless = secrets.filter((s) => s.vaultPath === '').map((s) => s.name);
  if (pathless.length > 0) problems.push(`VAULT_SECRET_PATH is required (no Vault path for ${pathless.join(', ')})`);
  for (const s of secrets) {
    if (present(env, s.name) !== undefined || present(env, `${s.name}_FILE`) !== undefined) {
      problems.push(`${s.name}: secrets come from Vault (VAULT_ADDR is set); unset ${s.name} and ${s.name}_FILE`);
    }
  }
  if (e.VAULT_SECRET_PATH?.startsWith('data/') === true) {
    problems.push('VAULT_SECRET_PATH is the path inside the KV v2 mount, without data/ (it is added)');
  }
  if (present(env, 'VAULT_SECRET_ID') !== undefined) {
    problems.push('VAULT_SECRET_ID is not read: mount the AppRole secret id as a file and set VAULT_SECRET_ID_FILE');
  }

  const method = e.VAULT_AUTH ?? (present(env, 'VAULT_TOKEN') !== undefined || e.VAULT_TOKEN_FILE !== undefined ? 'token' : 'kubernetes');
  let auth: VaultAuthConfig | undefined;
  if (method === 'kubernetes') {
    if (e.VAULT_ROLE === undefined) problems.push('VAULT_ROLE is required for VAULT_AUTH=kubernetes (the Vault role bound to the service account)');
    auth = { method, mount: e.VAULT_AUTH_MOUNT ?? 'kubernetes', role: e.VAULT_ROLE ?? '', jwtFile: e.VAULT_K8S_JWT_FILE ?? DEFAULT_K8S_JWT_FILE };
  } else if (method === 'approle') {
    let roleId: { variable: string } | { file: string } = { variable: 'VAULT_ROLE_ID' };
    if (e.VAULT_ROLE_ID !== undefined && e.VAULT_ROLE_ID_FILE !== undefined) problems.push('VAULT_ROLE_ID and VAULT_ROLE_ID_FILE are both set: set only one');
    else if (e.VAULT_ROLE_ID_FILE !== undefined) roleId = { file: e.VAULT_ROLE_ID_FILE };
    else if (e.VAULT_ROLE_ID === undefined) problems.push('VAULT_ROLE_ID or VAULT_ROLE_ID_FILE is required for VAULT_AUTH=approle');
    if (e.VAULT_SECRET_ID_FILE === undefined) problems.push('VAULT_SECRET_ID_FILE is required for VAULT_AUTH=approle');
    auth = { method, mount: e.VAULT_AUTH_MOUNT ?? 'approle', roleId, secretIdFile: e.VAULT_SECRET_ID_FILE ?? '' };
  } else {
    const direct = present(env, 'VAULT_TOKEN');
    if (direct !== undefined && e.VAULT_TOKEN_FILE !== undefined) problems.push('VAULT_TOKEN and VAULT_TOKEN_FILE are both set: set only one');
    else if (direct === undefined && e.VAULT_TOKEN_FILE === undefined) problems.push('VAULT_TOKEN or VAULT_TOKEN_FILE is required for VAULT_AUTH=token');
    auth = { method, token: e.VAULT_TOKEN_FILE !== undefined ? { file: e.VAULT_TOKEN_FILE } : { variable: 'VAULT_TOKEN' } };
  }
  if (method !== 'token' && present(env, 'VAULT_TOKEN') !== undefined) {
    warnings.push(`VAULT_TOKEN is ignored with VAULT_AUTH=${method}`);
  }

  return {
    addr,
    auth,
    kvMount: e.VAULT_KV_MOUNT ?? 'secret',
    namespace: e.VAULT_NAMESPACE,
    caCertFile: e.VAULT_CACERT,
    timeoutMs: e.VAULT_TIMEOUT_MS ?? DEFAULT_VAULT_TIMEOUT_MS,
    skipVerify,
  };
}
