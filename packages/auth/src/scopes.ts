/** The scopes of the public API. `stats:admin` implies the other two. */
export const SCOPES = ['stats:search', 'stats:read', 'stats:admin'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(s: string): s is Scope {
  return (SCOPES as readonly string[]).includes(s);
}

/** Whether `granted` allows `needed`; `stats:admin` allows everything. */
export function hasScope(granted: readonly string[], needed: Scope): boolean {
  return granted.includes(needed) || granted.includes('stats:admin');
}

/**
 * Scopes of a token: the space-separated `scope` claim (RFC 8693/9068) or the `scp` array Okta
 * issues (a space-separated `scp` string is accepted too). Scopes this API does not know are
 * dropped; duplicates are merged.
 */
export function scopesFromClaims(claims: { scope?: unknown; scp?: unknown }): Scope[] {
  const raw: string[] = [];
  const take = (v: unknown): void => {
    if (typeof v === 'string') raw.push(...v.split(' '));
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') raw.push(x);
  };
  take(claims.scope);
  take(claims.scp);
  return [...new Set(raw.filter(isScope))];
}
