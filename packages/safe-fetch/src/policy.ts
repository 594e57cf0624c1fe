import { isIP } from 'node:net';
import { ALWAYS_REFUSED, classifyAddress } from './address.js';
import { formatAllowEntry, matchingEntries, normalizeHostName, parseAllowList } from './allow.js';
import type { AllowEntry } from './allow.js';
import { FetchError } from './errors.js';

/**
 * What a {@link PageFetcher} may fetch, where, and how long and how much it may read. The address
 * policy (public addresses only, ports, the allow list) is part of it: `checkUrl` applies it to
 * IP literals and ports before any connection, the connector to every resolved address.
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
  /** Ports any public host may be fetched on. Other ports need an allow-list entry naming them. */
  allowedPorts: number[];
  /**
   * `STATS_FETCH_ALLOW`: the only way to reach a non-public address. Entries `host[:port]`
   * (a DNS name: that name, whatever it resolves to; an IP: that address), `[ipv6][:port]`, or a
   * CIDR (any port in `allowedPorts`). Without a port an entry opens `allowedPorts` only. Cloud
   * metadata, unspecified, multicast and broadcast addresses are never opened. Default: none.
   */
  allow: string[];
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
  allowedPorts: Object.freeze([80, 443]) as number[],
  allow: Object.freeze([]) as unknown as string[],
});

// The parsed allow list of each resolved policy (policies are frozen, so it cannot go stale).
const compiled = new WeakMap<object, readonly AllowEntry[]>();

function allowEntries(policy: Readonly<FetchPolicy>): readonly AllowEntry[] {
  let entries = compiled.get(policy);
  if (entries === undefined) {
    entries = Object.freeze(parseAllowList(policy.allow));
    compiled.set(policy, entries);
  }
  return entries;
}

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
  if (p.allowedPorts.length === 0 || p.allowedPorts.some((port) => !Number.isSafeInteger(port) || port < 1 || port > 65_535)) {
    throw new RangeError(`safe-fetch: allowedPorts must be a non-empty list of ports 1-65535 (got ${JSON.stringify(p.allowedPorts)})`);
  }
  const entries = Object.freeze(parseAllowList(p.allow)); // throws a TypeError naming a bad entry
  const resolved = Object.freeze({
    ...p,
    allowedSchemes: Object.freeze([...p.allowedSchemes]) as FetchPolicy['allowedSchemes'],
    allowedContentTypes: Object.freeze(p.allowedContentTypes.map((t) => t.trim().toLowerCase())) as string[],
    allowedPorts: Object.freeze([...new Set(p.allowedPorts)]) as number[],
    allow: Object.freeze(entries.map(formatAllowEntry)) as string[],
  });
  compiled.set(resolved, entries);
  return resolved;
}

/** The port a URL connects to: its own, else the scheme's default. */
export function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Judges one address that `host` resolved to (or the IP literal itself) for a connection to
 * `port`, and returns the exact string to dial. Refuses (FetchError FETCH_ERR_ADDRESS with the
 * address `category`) any address that is not public unless an allow-list entry names the host or
 * the address for this port, and always refuses metadata, unspecified, multicast and broadcast
 * addresses; refuses (FETCH_ERR_PORT) a port outside `allowedPorts` that no matching entry names.
 */
export function checkAddress(policy: Readonly<FetchPolicy>, host: string, port: number, address: string, url: string): string {
  const c = classifyAddress(address);
  const shown = c.category === 'invalid' ? address.slice(0, 64) : c.dial;
  const refuse = (code: 'FETCH_ERR_ADDRESS' | 'FETCH_ERR_PORT', why: string) =>
    new FetchError(code, url, why, { category: c.category, address: shown });
  if (ALWAYS_REFUSED.has(c.category)) throw refuse('FETCH_ERR_ADDRESS', `address ${shown} of ${host} is refused (${c.category})`);
  const standardPort = policy.allowedPorts.includes(port);
  // Entries for this host or address that cover this port: their own port, else allowedPorts.
  const covering = (c.category === 'invalid' ? [] : matchingEntries(allowEntries(policy), host, c.ip)).filter((e) =>
    e.kind === 'cidr' || e.port === undefined ? standardPort : e.port === port,
  );
  if (c.category !== 'public' && covering.length === 0) {
    throw refuse('FETCH_ERR_ADDRESS', `address ${shown} of ${host} is refused (${c.category}; STATS_FETCH_ALLOW does not name it for port ${port})`);
  }
  if (!standardPort && covering.length === 0) throw refuse('FETCH_ERR_PORT', `port ${port} of ${host} is not allowed`);
  return c.dial;
}

function isLocalhostName(host: string): boolean {
  const name = normalizeHostName(host);
  return name === 'localhost' || name.endsWith('.localhost');
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
 * checks it against the policy before any connection: the scheme must be allowed, the URL must
 * carry no credentials, an IP-literal host must pass {@link checkAddress} (undici resolves no
 * literal, and WHATWG has already turned 2130706433, 0177.0.0.1, 0x7f.1 and 127.1 into
 * 127.0.0.1), a `localhost` name is refused unless allowed by name, and a port outside
 * `allowedPorts` must be named by some allow-list entry. Names are judged again, by address, in
 * the connector. Every hop goes through here. Throws FetchError FETCH_ERR_INVALID_URL,
 * FETCH_ERR_SCHEME, FETCH_ERR_CREDENTIALS, FETCH_ERR_ADDRESS or FETCH_ERR_PORT.
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
  const host = hostOf(url);
  const port = portOf(url);
  if (isIP(host) !== 0) {
    checkAddress(policy, host, port, host, url.href);
    return url;
  }
  const entries = allowEntries(policy);
  if (isLocalhostName(host) && !entries.some((e) => e.kind === 'name' && e.name === normalizeHostName(host))) {
    throw new FetchError('FETCH_ERR_ADDRESS', url.href, `host ${host} is refused (loopback)`, { category: 'loopback' });
  }
  if (!policy.allowedPorts.includes(port) && !entries.some((e) => e.kind !== 'cidr' && e.port === port)) {
    throw new FetchError('FETCH_ERR_PORT', url.href, `port ${port} is not allowed`);
  }
  return url;
}
