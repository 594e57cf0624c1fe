import { SpiffeError } from './errors.js';

const SCHEME_PREFIX = 'spiffe://';
/** The SPIFFE ID standard caps a SPIFFE ID (as a URI) at 2048 bytes. */
const MAX_ID_LENGTH = 2048;
/** A trust domain is a DNS-like name; the standard caps it at 255 characters. */
const MAX_TRUST_DOMAIN_LENGTH = 255;

const TRUST_DOMAIN_CHAR = /^[a-z0-9._-]$/;
const PATH_SEGMENT_CHAR = /^[A-Za-z0-9._-]$/;

/** Inputs can be long (up to any size): messages quote at most this much of them. */
const QUOTE_LIMIT = 200;

function quote(input: string): string {
  return JSON.stringify(input.length > QUOTE_LIMIT ? `${input.slice(0, QUOTE_LIMIT)}…` : input);
}

function invalid(input: string, reason: string): SpiffeError {
  return new SpiffeError('SPIFFE_ERR_INVALID_ID', `invalid SPIFFE ID ${quote(input)}: ${reason}`);
}

/** Why a trust-domain character is refused: the common mistakes get a reason of their own. */
function trustDomainCharReason(c: string): string {
  if (c === ':') return 'trust domain cannot contain a port';
  if (c === '@') return 'trust domain cannot contain userinfo';
  if (c === '?') return 'SPIFFE ID cannot contain a query';
  if (c === '#') return 'SPIFFE ID cannot contain a fragment';
  if (c >= 'A' && c <= 'Z') return 'trust domain must be lowercase';
  return `trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores (found ${JSON.stringify(c)})`;
}

function pathCharReason(c: string): string {
  if (c === '?') return 'SPIFFE ID cannot contain a query';
  if (c === '#') return 'SPIFFE ID cannot contain a fragment';
  if (c === '%') return 'path cannot contain percent-encoded characters';
  return `path segment characters are limited to letters, numbers, dots, dashes, and underscores (found ${JSON.stringify(c)})`;
}

/** Returns the reason `name` is not a valid trust domain name, or undefined when it is. */
function trustDomainProblem(name: string): string | undefined {
  if (name.length === 0) return 'trust domain is missing';
  if (name.length > MAX_TRUST_DOMAIN_LENGTH) return `trust domain is longer than ${MAX_TRUST_DOMAIN_LENGTH} characters`;
  for (const c of name) {
    if (!TRUST_DOMAIN_CHAR.test(c)) return trustDomainCharReason(c);
  }
  return undefined;
}

/** Returns the reason `path` is not a valid SPIFFE ID path ("" or "/seg/seg"), or undefined. */
function pathProblem(path: string): string | undefined {
  if (path === '') return undefined;
  if (!path.startsWith('/')) return 'path must start with "/"';
  const segments = path.slice(1).split('/');
  for (let i = 0; i < segments.length; i += 1) {
    const segment = segments[i] ?? '';
    if (segment === '') {
      return i === segments.length - 1 ? 'path cannot have a trailing slash' : 'path cannot contain empty segments';
    }
    if (segment === '.' || segment === '..') return 'path cannot contain dot segments';
    for (const c of segment) {
      if (!PATH_SEGMENT_CHAR.test(c)) return pathCharReason(c);
    }
  }
  return undefined;
}

/** A SPIFFE trust domain, e.g. `stats-agent.local`. Immutable. */
export class TrustDomain {
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  /**
   * Parses a trust domain name (`example.org`) or takes the trust domain of a SPIFFE ID
   * (`spiffe://example.org` or `spiffe://example.org/path`). Throws SpiffeError
   * SPIFFE_ERR_INVALID_ID with the reason.
   */
  static parse(nameOrSpiffeUri: string): TrustDomain {
    if (nameOrSpiffeUri.includes(':/')) return SpiffeId.parse(nameOrSpiffeUri).trustDomain;
    const problem = trustDomainProblem(nameOrSpiffeUri);
    if (problem !== undefined) {
      throw new SpiffeError(
        'SPIFFE_ERR_INVALID_ID',
        `invalid trust domain ${quote(nameOrSpiffeUri)}: ${problem}`,
      );
    }
    return new TrustDomain(nameOrSpiffeUri);
  }

  /** The SPIFFE ID `spiffe://<name><path>`; `path` is "" or starts with "/". Throws on a bad path. */
  id(path: string): SpiffeId {
    const problem = pathProblem(path);
    if (problem !== undefined) throw invalid(`${SCHEME_PREFIX}${this.name}${path}`, problem);
    return SpiffeId.parse(`${SCHEME_PREFIX}${this.name}${path}`);
  }

  /** `spiffe://<name>`: the SPIFFE ID of the trust domain itself (the federation key). */
  idString(): string {
    return `${SCHEME_PREFIX}${this.name}`;
  }

  equals(o: TrustDomain): boolean {
    return this.name === o.name;
  }

  toString(): string {
    return this.name;
  }
}

/** A SPIFFE ID, e.g. `spiffe://stats-agent.local/ns/agents/sa/research`. Immutable. */
export class SpiffeId {
  readonly trustDomain: TrustDomain;
  /** "" for the trust domain's own ID, otherwise "/segment/segment". */
  readonly path: string;

  private constructor(trustDomain: TrustDomain, path: string) {
    this.trustDomain = trustDomain;
    this.path = path;
  }

  /**
   * Parses a SPIFFE ID by the SPIFFE ID standard: scheme `spiffe`, a lowercase trust domain of
   * [a-z0-9._-], no port, userinfo, query or fragment, path segments of [A-Za-z0-9._-], no empty,
   * `.` or `..` segment, no trailing slash, at most 2048 bytes. Throws SpiffeError
   * SPIFFE_ERR_INVALID_ID naming the input and the reason.
   */
  static parse(s: string): SpiffeId {
    if (s.length === 0) throw invalid(s, 'cannot be empty');
    if (Buffer.byteLength(s, 'utf8') > MAX_ID_LENGTH) throw invalid(s, `longer than ${MAX_ID_LENGTH} bytes`);
    if (!s.startsWith(SCHEME_PREFIX)) throw invalid(s, 'scheme is missing or invalid (must be "spiffe://")');
    const rest = s.slice(SCHEME_PREFIX.length);
    const slash = rest.indexOf('/');
    const name = slash === -1 ? rest : rest.slice(0, slash);
    const path = slash === -1 ? '' : rest.slice(slash);
    const tdProblem = trustDomainProblem(name);
    if (tdProblem !== undefined) throw invalid(s, tdProblem);
    const problem = pathProblem(path);
    if (problem !== undefined) throw invalid(s, problem);
    return new SpiffeId(TrustDomain.parse(name), path);
  }

  memberOf(td: TrustDomain): boolean {
    return this.trustDomain.equals(td);
  }

  equals(o: SpiffeId): boolean {
    return this.trustDomain.equals(o.trustDomain) && this.path === o.path;
  }

  toString(): string {
    return `${SCHEME_PREFIX}${this.trustDomain.name}${this.path}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
