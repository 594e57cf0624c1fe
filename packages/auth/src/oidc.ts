import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { scopesFromClaims, type Scope } from './scopes.js';

/**
 * Algorithms a token may be signed with. Asymmetric only: `none` is never accepted and HS* are
 * refused outright, so a token "signed" with an RSA public key used as an HMAC secret (the classic
 * algorithm-confusion attack) cannot pass.
 */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export const DEFAULT_ALGORITHMS = ['RS256', 'ES256', 'PS256', 'EdDSA'] as const;

export interface OidcOptions {
  /** Exact `iss` of the tokens, e.g. `https://example.okta.com/oauth2/default`. */
  issuer: string;
  /** Required `aud`, e.g. `api://stats-agent`. */
  audience: string;
  /**
   * JWKS URL. When absent it is read from `<issuer>/.well-known/openid-configuration`
   * (`jwks_uri`; Okta's is `<issuer>/v1/keys`) on first use, and again after a failure.
   */
  jwksUrl?: string;
  algorithms?: readonly string[];
  /** Seconds of clock skew allowed on exp/nbf/iat. Default 30. */
  clockToleranceSec?: number;
  /** Deadline of every discovery or JWKS request. Default 3000 ms. */
  timeoutMs?: number;
  /** A token with an unknown `kid` refetches the JWKS at most this often. Default 30 s. */
  cooldownMs?: number;
  /** Keys are refetched after this age even if nothing is unknown. Default 10 min. */
  cacheMaxAgeMs?: number;
  /** Plain-http issuer/JWKS URLs are refused except on loopback (tests, development). */
  allowInsecureLoopback?: boolean;
}

export type TokenCheck =
  | { ok: true; subject: string; scopes: Scope[]; clientId?: string; claims: JWTPayload }
  | { ok: false; reason: string; description: string; unavailable?: boolean };

class KeySourceError extends Error {
  constructor(readonly original: unknown) {
    super('auth: the JWKS could not be fetched', { cause: original });
    this.name = 'KeySourceError';
  }
}

const discoverySchema = z.looseObject({ issuer: z.string(), jwks_uri: z.string() });

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

function checkUrl(what: string, raw: string, allowInsecureLoopback: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`auth: ${what} is not a URL`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && allowInsecureLoopback && LOOPBACK.has(url.hostname)) return url;
  throw new Error(`auth: ${what} must be https:// (plain http only on loopback in development)`);
}

/** Validates the options (throws with a clear message) and returns a token checker. */
export function createOidcVerifier(opts: OidcOptions): { verify(token: string): Promise<TokenCheck>; jwksUrl(): Promise<URL> } {
  const insecure = opts.allowInsecureLoopback ?? false;
  checkUrl('OIDC_ISSUER', opts.issuer, insecure);
  if (!opts.audience) throw new Error('auth: OIDC_AUDIENCE is required with OIDC_ISSUER');
  const algorithms = [...(opts.algorithms ?? DEFAULT_ALGORITHMS)];
  for (const a of algorithms) {
    if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a)) {
      throw new Error(`auth: algorithm ${a} is not allowed (asymmetric only: ${ASYMMETRIC_ALGORITHMS.join(', ')})`);
    }
  }
  const timeoutMs = opts.timeoutMs ?? 3000;
  const fixedJwks = opts.jwksUrl ? checkUrl('OIDC_JWKS_URL', opts.jwksUrl, insecure) : undefined;

  let keySet: { url: URL; get: JWTVerifyGetKey } | undefined;
  let discovering: Promise<URL> | undefined;

  const discover = async (): Promise<URL> => {
    const where = `${opts.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(where, { redirect: 'error', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`auth: OIDC discovery answered HTTP ${res.status}`);
    const text = await res.text();
    if (text.length > 256 * 1024) throw new Error('auth: OIDC discovery document is too large');
    const doc = discoverySchema.safeParse(JSON.parse(text));
    if (!doc.success) throw new Error('auth: OIDC discovery document has no issuer/jwks_uri');
    // OpenID Connect Discovery §4.3: the issuer in the document must be the one we asked.
    if (doc.data.issuer !== opts.issuer) throw new Error('auth: OIDC discovery issuer does not match OIDC_ISSUER');
    return checkUrl('jwks_uri', doc.data.jwks_uri, insecure);
  };

  const getKeySet = async (): Promise<{ url: URL; get: JWTVerifyGetKey }> => {
    if (keySet) return keySet;
    const url =
      fixedJwks ??
      (await (discovering ??= discover().finally(() => {
        discovering = undefined;
      })));
    const remote = createRemoteJWKSet(url, {
      timeoutDuration: timeoutMs,
      cooldownDuration: opts.cooldownMs ?? 30_000,
      cacheMaxAge: opts.cacheMaxAgeMs ?? 600_000,
    });
    // jose reports a JWKS endpoint that is down or answers non-200 as a plain JOSEError, the same
    // class as a bad token; mark what the key source throws so the two can be told apart.
    const get: JWTVerifyGetKey = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (err) {
        if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
        throw new KeySourceError(err);
      }
    };
    keySet ??= { url, get };
    return keySet;
  };

  return {
    async jwksUrl() {
      return (await getKeySet()).url;
    },
    async verify(token: string): Promise<TokenCheck> {
      let keys: JWTVerifyGetKey;
      try {
        keys = (await getKeySet()).get;
      } catch {
        return { ok: false, reason: 'oidc_discovery_failed', description: 'the identity provider cannot be reached', unavailable: true };
      }
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer: opts.issuer,
          audience: opts.audience,
          algorithms,
          clockTolerance: opts.clockToleranceSec ?? 30,
          requiredClaims: ['exp', 'sub'],
        });
        const clientId = typeof payload['cid'] === 'string' ? payload['cid'] : typeof payload['client_id'] === 'string' ? payload['client_id'] : undefined;
        return { ok: true, subject: payload.sub as string, scopes: scopesFromClaims({ scope: payload['scope'], scp: payload['scp'] }), claims: payload, ...(clientId ? { clientId } : {}) };
      } catch (err) {
        return classify(err);
      }
    },
  };
}

/** A jose error → a reason for logs and a description for the client (no key material). */
function classify(err: unknown): Extract<TokenCheck, { ok: false }> {
  if (err instanceof KeySourceError) {
    return err.original instanceof errors.JWKSTimeout
      ? { ok: false, reason: 'jwks_timeout', description: 'the identity provider did not answer in time', unavailable: true }
      : { ok: false, reason: 'jwks_unavailable', description: 'the identity provider cannot be reached', unavailable: true };
  }
  if (err instanceof errors.JWTExpired) return { ok: false, reason: 'jwt_expired', description: 'the token has expired' };
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return { ok: false, reason: 'jwt_not_yet_valid', description: 'the token is not valid yet' };
    if (err.claim === 'iss') return { ok: false, reason: 'jwt_wrong_issuer', description: 'the token was issued by another issuer' };
    if (err.claim === 'aud') return { ok: false, reason: 'jwt_wrong_audience', description: 'the token is for another audience' };
    return { ok: false, reason: 'jwt_claims', description: `the token's ${err.claim} claim is not acceptable` };
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return { ok: false, reason: 'jwt_alg_not_allowed', description: 'the token is signed with an algorithm that is not allowed' };
  if (err instanceof errors.JWKSNoMatchingKey) return { ok: false, reason: 'jwt_unknown_key', description: 'the token is signed with an unknown key' };
  if (err instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'jwt_bad_signature', description: 'the token signature is invalid' };
  if (err instanceof errors.JWKSMultipleMatchingKeys) {
    return { ok: false, reason: 'jwks_invalid', description: 'the identity provider published an unusable key set', unavailable: true };
  }
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid || err instanceof errors.JOSENotSupported) {
    return { ok: false, reason: 'jwt_malformed', description: 'the token is malformed' };
  }
  return { ok: false, reason: 'jwt_invalid', description: 'the token is invalid' };
}
