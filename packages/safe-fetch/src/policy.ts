import { FetchError } from './errors.js';

/**
 * What a {@link PageFetcher} may fetch and how long and how much it may read. One object, so the
 * address policy added later (private ranges, DNS rebinding) extends this and nothing else.
 */
export interface FetchPolicy {
  /** URL schemes that may be fetched, on the first request and on every redirect. */
  allowedSchemes: ('http:' | 'https:')[];
  /** Total time for one fetch: every redirect, the headers and the whole body. */
  timeoutMs: number;
  /** Time to open a connection (TCP and TLS). */
  connectTimeoutMs: number;
  /** Largest body accepted, after content decoding. */
  maxBytes: number;
  /** MIME types accepted (lower case, without parameters); a response without one is refused. */
  allowedContentTypes: string[];
  /** Redirects followed before giving up. */
  maxRedirects: number;
  /** Sent as User-Agent. */
  userAgent: string;
}

export const defaultFetchPolicy: Readonly<FetchPolicy> = Object.freeze({
  allowedSchemes: Object.freeze(['http:', 'https:']) as FetchPolicy['allowedSchemes'],
  timeoutMs: 15_000,
  connectTimeoutMs: 5_000,
  maxBytes: 5 * 1024 * 1024,
  allowedContentTypes: Object.freeze([
    'text/html',
    'application/xhtml+xml',
    'text/plain',
    'text/markdown',
    'application/pdf',
  ]) as string[],
  maxRedirects: 5,
  userAgent: 'stats-agent/0.1',
});

/**
 * The defaults overlaid with `overrides`, checked and frozen. Throws a TypeError or RangeError
 * for a policy that cannot be right (an unknown scheme, a non-positive limit).
 */
export function resolvePolicy(overrides: Partial<FetchPolicy> = {}): Readonly<FetchPolicy> {
  const p: FetchPolicy = { ...defaultFetchPolicy, ...withoutUndefined(overrides) };
  if (p.allowedSchemes.length === 0 || p.allowedSchemes.some((s) => s !== 'http:' && s !== 'https:')) {
    throw new TypeError(`safe-fetch: allowedSchemes must be a non-empty subset of http:, https: (got ${JSON.stringify(p.allowedSchemes)})`);
  }
  for (const key of ['timeoutMs', 'connectTimeoutMs', 'maxBytes'] as const) {
    if (!Number.isSafeInteger(p[key]) || p[key] <= 0) throw new RangeError(`safe-fetch: ${key} must be a positive integer (got ${p[key]})`);
  }
  if (!Number.isSafeInteger(p.maxRedirects) || p.maxRedirects < 0) {
    throw new RangeError(`safe-fetch: maxRedirects must be a non-negative integer (got ${p.maxRedirects})`);
  }
  if (p.allowedContentTypes.length === 0) throw new TypeError('safe-fetch: allowedContentTypes must not be empty');
  if (/[\r\n]/.test(p.userAgent)) throw new TypeError('safe-fetch: userAgent must be one line');
  return Object.freeze({
    ...p,
    allowedSchemes: Object.freeze([...p.allowedSchemes]) as FetchPolicy['allowedSchemes'],
    allowedContentTypes: Object.freeze(p.allowedContentTypes.map((t) => t.trim().toLowerCase())) as string[],
  });
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `url` as a string that is safe to report: any credentials are replaced by "***". */
export function redactUrl(url: string | URL): string {
  if (typeof url === 'string') {
    if (!URL.canParse(url)) return url.length > 2048 ? `${url.slice(0, 2048)}…` : url;
    return redactUrl(new URL(url));
  }
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.username = '***';
  copy.password = '';
  return copy.href;
}

/**
 * Parses `input` (relative to `base` for a redirect's Location) with the WHATWG URL parser and
 * checks it against the policy: the scheme must be allowed and the URL must carry no
 * credentials. Every hop goes through here; the address checks of the later SSRF policy belong
 * here (for IP literals) and in the connector (for resolved names). Throws FetchError
 * FETCH_ERR_INVALID_URL, FETCH_ERR_SCHEME or FETCH_ERR_CREDENTIALS.
 */
export function checkUrl(input: string, policy: Readonly<FetchPolicy>, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(input, base);
  } catch (cause) {
    throw new FetchError('FETCH_ERR_INVALID_URL', redactUrl(input), 'not a valid URL', { cause });
  }
  if (!(policy.allowedSchemes as string[]).includes(url.protocol)) {
    throw new FetchError('FETCH_ERR_SCHEME', redactUrl(url), `scheme ${url.protocol} is not allowed`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new FetchError('FETCH_ERR_CREDENTIALS', redactUrl(url), 'URLs with credentials are refused');
  }
  if (url.hostname === '') throw new FetchError('FETCH_ERR_INVALID_URL', url.href, 'URL has no host');
  return url;
}
