/**
 * Key-based redaction: values under sensitive keys (`authorization`, `x-vault-token`,
 * `SERPER_API_KEY`, …) never reach a log line, and errors anywhere in a logged object are
 * reduced to name, message, code, stack and cause — an HTTP client error otherwise carries its
 * request configuration, headers and body (FINDINGS: node-vault's AxiosErrors print the token,
 * and `AxiosError.toJSON()` includes `config.headers` and `config.data`).
 */

export const CENSOR = '[REDACTED]';

/**
 * Sensitive key names as written in the wild. Matching in {@link isSensitiveKey} is
 * case-insensitive and ignores `-` and `_`, so `X-Vault-Token`, `x_vault_token` and
 * `xVaultToken` are one key.
 */
export const SENSITIVE_KEYS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-vault-token',
  'api_key',
  'apiKey',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'client_token',
  'jwt',
  'password',
  'passwd',
  'passphrase',
  'secret',
  'client_secret',
  'secret_id',
  'private_key',
  'credentials',
  'key',
];

/** Normalized suffixes that make a key sensitive: `SERPER_API_KEY`, `github_token`, `db_password`. */
const SENSITIVE_SUFFIXES = ['apikey', 'token', 'secret', 'password', 'privatekey', 'secretid'];

const normalize = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');
const SENSITIVE = new Set(SENSITIVE_KEYS.map(normalize));

/** Whether a value under `key` must be redacted. */
export function isSensitiveKey(key: string): boolean {
  const k = normalize(key);
  return SENSITIVE.has(k) || SENSITIVE_SUFFIXES.some((s) => k.endsWith(s));
}

/** Where HTTP headers sit in the objects services log (request, response, client error). */
const HEADER_HOLDERS = ['headers', 'req.headers', 'request.headers', 'res.headers', 'response.headers', 'config.headers', 'err.config.headers', 'error.config.headers', 'err.response.headers'];

/**
 * pino `redact` paths: every sensitive key (in the spellings commonly seen) at the top level
 * and under the usual header holders — `req.headers.authorization`,
 * `err.config.headers["X-Vault-Token"]`. They are explicit on purpose: leading-wildcard paths
 * (`*.*.token`) cost pino ~50 µs per line. pino paths are case-sensitive and fixed; the
 * case-insensitive walk of any depth in {@link sanitizeForLog} backs them up.
 */
export const REDACT_PATHS: string[] = [
  ...new Set([...SENSITIVE_KEYS, 'Authorization', 'Cookie', 'Set-Cookie', 'X-Api-Key', 'X-Vault-Token', 'accessToken', 'refreshToken', 'idToken', 'clientSecret', 'secretId', 'privateKey']),
].flatMap((k) => {
  const seg = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const dot = seg.startsWith('[') ? seg : `.${seg}`;
  return [seg, ...HEADER_HOLDERS.map((h) => `${h}${dot}`)];
});

export interface SafeError {
  type: string;
  message: string;
  code?: string | number;
  status?: number;
  stack?: string;
  cause?: SafeError;
}

/**
 * Serializes an error keeping only its name, message, code, HTTP status, stack and cause chain
 * (three levels). Request configuration, headers, bodies and responses are dropped. A plain
 * object is reduced the same way, so an already-serialized error passes through unchanged.
 */
export function serializeError(err: unknown, depth = 0): SafeError {
  if (err === null || typeof err !== 'object') return { type: typeof err, message: String(err) };
  const e = err as { name?: unknown; message?: unknown; code?: unknown; status?: unknown; stack?: unknown; cause?: unknown; type?: unknown };
  const type = err instanceof Error ? err.name : typeof e.type === 'string' ? e.type : 'object';
  const out: SafeError = { type, message: typeof e.message === 'string' ? e.message : err instanceof Error ? '' : '[object]' };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  if (typeof e.status === 'number') out.status = e.status;
  if (typeof e.stack === 'string') out.stack = e.stack;
  if (e.cause !== undefined && e.cause !== null && depth < 3) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

const MAX_DEPTH = 10;
const MAX_ITEMS = 1000;

/**
 * A copy of `value` fit for a log line: values under sensitive keys replaced by `[REDACTED]`,
 * every `Error` (at any depth) serialized by {@link serializeError}, cycles cut. Bounded: at
 * most ten levels and a thousand entries per array or object are kept. Strings are returned
 * as they are (secret values and PII inside strings are handled on the whole line).
 */
export function sanitizeForLog(value: unknown): unknown {
  return walk(value, 0, new WeakSet<object>());
}

function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return serializeError(value);
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Object]';
  if (Array.isArray(value)) {
    seen.add(value);
    const out = value.slice(0, MAX_ITEMS).map((v: unknown) => walk(v, depth + 1, seen));
    if (value.length > MAX_ITEMS) out.push(`[${value.length - MAX_ITEMS} more]`);
    seen.delete(value);
    return out;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  // Dates, URLs, Buffers and other non-plain objects serialize themselves (toJSON) and carry no keys.
  if (proto !== Object.prototype && proto !== null) {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
    if (value instanceof Map || value instanceof Set) return value;
  }
  seen.add(value);
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const key of Object.keys(value)) {
    if (n++ >= MAX_ITEMS) {
      out['…'] = `[${Object.keys(value).length - MAX_ITEMS} more keys]`;
      break;
    }
    const v = (value as Record<string, unknown>)[key];
    out[key] = isSensitiveKey(key) && v !== undefined && v !== null && v !== '' ? CENSOR : walk(v, depth + 1, seen);
  }
  seen.delete(value);
  return out;
}
