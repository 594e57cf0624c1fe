import { SpiffeError } from './errors.js';
import { SpiffeId, TrustDomain } from './id.js';

/**
 * Decides whether a (verified) peer SPIFFE ID may proceed: returns when it may, throws
 * SpiffeError SPIFFE_ERR_UNAUTHORIZED naming the refused ID when it may not.
 */
export type Authorizer = (id: SpiffeId) => void;

function refuse(id: SpiffeId, expected: string): never {
  throw new SpiffeError('SPIFFE_ERR_UNAUTHORIZED', `${id.toString()} is not authorized: expected ${expected}`);
}

const toId = (id: SpiffeId | string): SpiffeId => (typeof id === 'string' ? SpiffeId.parse(id) : id);

/** Accepts any SPIFFE ID (the chain is still verified against the bundle). */
export function authorizeAny(): Authorizer {
  return () => {};
}

/** Accepts exactly `id`. A string is parsed now: an invalid one throws SPIFFE_ERR_INVALID_ID. */
export function authorizeId(id: SpiffeId | string): Authorizer {
  const allowed = toId(id);
  return (peer) => {
    if (!peer.equals(allowed)) refuse(peer, allowed.toString());
  };
}

/** Accepts any one of `ids` (parsed now; an empty list accepts nobody). */
export function authorizeOneOf(...ids: Array<SpiffeId | string>): Authorizer {
  const allowed = ids.map(toId);
  const names = new Set(allowed.map((id) => id.toString()));
  const expected = allowed.length === 0 ? 'no ID (empty allow-list)' : `one of ${[...names].join(', ')}`;
  return (peer) => {
    if (!names.has(peer.toString())) refuse(peer, expected);
  };
}

/** Accepts every SPIFFE ID of trust domain `td`. */
export function authorizeMemberOf(td: TrustDomain | string): Authorizer {
  const domain = typeof td === 'string' ? TrustDomain.parse(td) : td;
  return (peer) => {
    if (!peer.memberOf(domain)) refuse(peer, `a member of trust domain ${domain.name}`);
  };
}
