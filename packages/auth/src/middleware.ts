import { isIPv6 } from 'node:net';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthFailure, Authenticator, Principal } from './authenticator.js';
import { bearerChallenge, EdgeError } from './errors.js';
import type { RateLimiter } from './rate-limit.js';
import { hasScope, type Scope } from './scopes.js';

export interface EdgeMiddlewareOptions {
  authenticator: Authenticator;
  /** Absent: no rate limiting. */
  limiter?: RateLimiter;
  /**
   * The client address for requests without a principal. Default `req.ip`, which is the socket's
   * peer address unless the app sets `trust proxy`.
   */
  clientAddress?: (req: Request) => string;
}

/**
 * The rate-limit key of a client address: IPv4 as is (IPv4-mapped IPv6 as IPv4), IPv6 by its /64,
 * since one host usually holds a whole /64 and could otherwise rotate through addresses.
 */
export function clientBucket(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = address.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** The principal the edge middleware put on the response, if any. */
export function principalOf(res: Response): Principal | undefined {
  return (res.locals as { principal?: Principal }).principal;
}

/**
 * Authenticates, then rate limits: a principal's bucket is keyed by its kind and id, a request
 * that failed authentication is charged to its client address (so guessing credentials is rate
 * limited too) before it is refused. `RateLimit-*` headers are set on every response.
 *
 * Never answers itself: failures go to `next(err)` as an EdgeError (status, code, safe message,
 * `reason` for logs and metrics, and the headers to send), so the app's error handler keeps one
 * error shape and counts and logs every refusal in one place (see `failureFields`).
 */
export function createEdgeMiddleware(opts: EdgeMiddlewareOptions): RequestHandler {
  const addressOf = opts.clientAddress ?? ((req: Request) => clientBucket(req.ip ?? req.socket.remoteAddress ?? 'unknown'));
  const limit = async (key: string, res: Response): Promise<EdgeError | undefined> => {
    if (!opts.limiter) return undefined;
    const d = await opts.limiter.consume(key);
    const headers = opts.limiter.headers(d);
    for (const [k, v] of Object.entries(headers)) if (k !== 'retry-after') res.setHeader(k, v);
    if (d.allowed) return undefined;
    return new EdgeError(429, 'rate_limited', `too many requests; retry after ${d.retryAfterSec} s`, 'rate_limited', { 'retry-after': headers['retry-after'] ?? '1' });
  };

  return (req: Request, res: Response, next: NextFunction) => {
    void (async () => {
      let principal: Principal;
      try {
        principal = await opts.authenticator.authenticate({ authorization: req.headers.authorization, 'x-api-key': req.headers['x-api-key'] });
      } catch (err) {
        const limited = await limit(`ip:${addressOf(req)}`, res);
        next(limited ?? err);
        return;
      }
      (res.locals as { principal?: Principal }).principal = principal;
      const key = principal.kind === 'anonymous' ? `ip:${addressOf(req)}` : `${principal.kind}:${principal.id}`;
      next(await limit(key, res));
    })().catch(next);
  };
}

/**
 * 403 unless the principal holds `scope` (`stats:admin` holds every scope); 401 when there is no
 * principal at all (the edge middleware did not run: fail closed).
 */
export function requireScope(scope: Scope): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    const p = principalOf(res);
    if (!p) {
      next(new EdgeError(401, 'auth_required', 'authentication required', 'no_principal', { 'www-authenticate': bearerChallenge() }));
      return;
    }
    if (hasScope(p.scopes, scope)) {
      next();
      return;
    }
    const err = new EdgeError(403, 'insufficient_scope', `this endpoint needs the ${scope} scope`, 'insufficient_scope', {
      'www-authenticate': bearerChallenge('insufficient_scope', `this endpoint needs the ${scope} scope`, scope),
    });
    next(Object.assign(err, { credentialKind: p.kind, keyId: p.kind === 'api_key' ? p.id : undefined }));
  };
}

/**
 * Log and metric fields of a refusal: the reason, the key id when one could be parsed, the
 * principal for 403/429 — never the credential.
 */
export function failureFields(err: EdgeError, res?: Response): Record<string, string | number> {
  const f = err as AuthFailure;
  const out: Record<string, string | number> = { status: err.status, code: err.code, reason: err.reason };
  if (f.credentialKind) out['credential_kind'] = f.credentialKind;
  if (f.keyId) out['key_id'] = f.keyId;
  const p = res ? principalOf(res) : undefined;
  if (p) {
    out['principal_kind'] = p.kind;
    if (p.kind !== 'jwt') out['principal'] = p.id;
  }
  return out;
}
