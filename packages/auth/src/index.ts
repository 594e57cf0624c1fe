// @stats-agent/auth: API keys (hashed), OIDC JWTs (jose, JWKS), scopes, and per-principal rate
// limiting (memory or Redis) for the public edge. Express appears only as types.
export { SCOPES, hasScope, isScope, scopesFromClaims, type Scope } from './scopes.js';
export { EdgeError, bearerChallenge } from './errors.js';
export {
  ApiKeyRegistry,
  ApiKeysFileError,
  apiKeyRecordSchema,
  apiKeysFileSchema,
  createApiKey,
  hashApiKey,
  parseApiKey,
  parseApiKeysFile,
  type ApiKeyRecord,
  type ApiKeysFile,
  type CreateApiKeyOptions,
  type KeyCheck,
} from './api-keys.js';
export { ASYMMETRIC_ALGORITHMS, DEFAULT_ALGORITHMS, createOidcVerifier, type OidcOptions, type TokenCheck } from './oidc.js';
export { createAuthenticator, type Authenticator, type AuthenticatorOptions, type AuthFailure, type Principal } from './authenticator.js';
export { createRateLimiter, createRedisClient, type RateDecision, type RateLimiter, type RateLimitOptions } from './rate-limit.js';
export { clientBucket, createEdgeMiddleware, failureFields, principalOf, requireScope, type EdgeMiddlewareOptions } from './middleware.js';
