/**
 * Why a request was refused at the edge. `reason` is for logs and metrics (stable, low
 * cardinality); `message` is safe to show the client; `headers` must be sent with the answer
 * (`WWW-Authenticate`, `Retry-After`).
 */
export class EdgeError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 429 | 503,
    readonly code: string,
    message: string,
    readonly reason: string,
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EdgeError';
  }
}

const REALM = 'stats-agent';

/**
 * RFC 6750 §3: error_description and scope may only hold %x20-21 / %x23-5B / %x5D-7E — no `"`,
 * no `\\`, nothing outside printable ASCII (Node also refuses such a header value outright).
 */
const quote = (s: string): string => `"${s.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?')}"`;

export function bearerChallenge(error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope', description?: string, scope?: string): string {
  const parts = [`realm=${quote(REALM)}`];
  if (error) parts.push(`error=${quote(error)}`);
  if (description) parts.push(`error_description=${quote(description)}`);
  if (scope) parts.push(`scope=${quote(scope)}`);
  return `Bearer ${parts.join(', ')}`;
}

/** 401 without an error code: the request carried no credential at all (RFC 6750 §3.1). */
export function missingCredential(): EdgeError {
  return new EdgeError(401, 'auth_required', 'authentication required: send Authorization: Bearer <api key or token>, or X-API-Key', 'missing', {
    'www-authenticate': bearerChallenge(),
  });
}

/** 401 invalid_token: the credential was there but is not (or no longer) good. */
export function invalidCredential(reason: string, description: string, options?: { cause?: unknown }): EdgeError {
  return new EdgeError(401, 'invalid_token', description, reason, { 'www-authenticate': bearerChallenge('invalid_token', description) }, options);
}

/** 400 invalid_request: malformed or ambiguous credentials (RFC 6750 §3.1). */
export function invalidAuthRequest(reason: string, description: string): EdgeError {
  return new EdgeError(400, 'invalid_auth_request', description, reason, { 'www-authenticate': bearerChallenge('invalid_request', description) });
}
