import type { ApiKeyRegistry } from './api-keys.js';
import { EdgeError, invalidAuthRequest, invalidCredential, missingCredential } from './errors.js';
import type { TokenCheck } from './oidc.js';
import { SCOPES, type Scope } from './scopes.js';

/** Who is calling. Put on `res.locals.principal` by the edge middleware. */
export interface Principal {
  /** API key id, or the token's `sub`; `anonymous` when authentication is off. */
  id: string;
  kind: 'api_key' | 'jwt' | 'anonymous';
  scopes: Scope[];
  /** Key name (or id) for keys; `sub` for tokens. */
  subject: string;
}

export interface AuthenticatorOptions {
  apiKeys?: ApiKeyRegistry;
  oidc?: { verify(token: string): Promise<TokenCheck> };
  /**
   * No authentication: every request is an anonymous principal with every scope. Only for a
   * development server on loopback; the orchestrator refuses it elsewhere.
   */
  anonymous?: boolean;
}

export interface Authenticator {
  /** Resolves the principal or rejects with an EdgeError (400/401/503) carrying `keyId` when known. */
  authenticate(headers: { authorization?: string | undefined; 'x-api-key'?: string | string[] | undefined }): Promise<Principal>;
}

export type AuthFailure = EdgeError & { keyId?: string; credentialKind?: 'api_key' | 'jwt' | 'unknown' };

const MAX_CREDENTIAL = 8192;
// Three base64url segments; `alg: none` tokens have an empty third one.
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function tag(err: EdgeError, kind: 'api_key' | 'jwt' | 'unknown', keyId?: string): AuthFailure {
  return Object.assign(err, { credentialKind: kind, ...(keyId ? { keyId } : {}) });
}

const KEY_DESCRIPTIONS: Record<string, string> = {
  malformed: 'the API key is malformed',
  unknown_key: 'the API key is not valid',
  bad_secret: 'the API key is not valid',
  revoked: 'the API key has been revoked',
  expired: 'the API key has expired',
};

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  if (!opts.anonymous && !opts.apiKeys && !opts.oidc) throw new Error('auth: no credential source configured (API keys or OIDC)');
  return {
    async authenticate(headers) {
      if (opts.anonymous) return { id: 'anonymous', kind: 'anonymous', scopes: [...SCOPES], subject: 'anonymous' };
      const authz = headers.authorization;
      const xKey = headers['x-api-key'];
      if (Array.isArray(xKey)) throw tag(invalidAuthRequest('multiple_credentials', 'send one X-API-Key header'), 'api_key');
      if (authz !== undefined && xKey !== undefined) {
        throw tag(invalidAuthRequest('multiple_credentials', 'send either Authorization or X-API-Key, not both'), 'unknown');
      }
      let credential: string;
      if (xKey !== undefined) {
        credential = xKey.trim();
      } else if (authz !== undefined) {
        const m = /^Bearer +(\S+) *$/i.exec(authz);
        if (!m) throw tag(invalidCredential('unsupported_scheme', 'use Authorization: Bearer <api key or token>'), 'unknown');
        credential = m[1] as string;
      } else {
        throw tag(missingCredential(), 'unknown');
      }
      if (credential === '') throw tag(missingCredential(), 'unknown');
      if (credential.length > MAX_CREDENTIAL) throw tag(invalidCredential('malformed', 'the credential is too long'), 'unknown');

      if (credential.startsWith('sk_')) {
        if (!opts.apiKeys) throw tag(invalidCredential('api_keys_disabled', 'API keys are not accepted here'), 'api_key');
        const r = await opts.apiKeys.check(credential);
        if (!r.ok) throw tag(invalidCredential(r.reason, KEY_DESCRIPTIONS[r.reason] ?? 'the API key is not valid'), 'api_key', r.keyId);
        return { id: r.record.id, kind: 'api_key', scopes: [...r.record.scopes], subject: r.record.name ?? r.record.id };
      }
      if (xKey === undefined && JWT_SHAPE.test(credential)) {
        if (!opts.oidc) throw tag(invalidCredential('oidc_disabled', 'tokens are not accepted here'), 'jwt');
        const r = await opts.oidc.verify(credential);
        if (!r.ok) {
          if (r.unavailable) throw tag(new EdgeError(503, 'auth_unavailable', 'authentication is temporarily unavailable; retry shortly', r.reason, { 'retry-after': '5' }), 'jwt');
          throw tag(invalidCredential(r.reason, r.description), 'jwt');
        }
        return { id: r.subject, kind: 'jwt', scopes: r.scopes, subject: r.subject };
      }
      throw tag(invalidCredential('malformed', 'the credential is neither an API key (sk_...) nor a JWT'), 'unknown');
    },
  };
}
