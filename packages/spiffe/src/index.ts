/**
 * SPIFFE identities for grpc-js services: SPIFFE IDs and trust domains, X509-SVID validation, an
 * X509Source fed by the SPIFFE Workload API, authorizers, and mTLS credentials that follow SVID
 * rotation. Test helpers (a test CA, a development Workload API server) are in
 * `@stats-agent/spiffe/testing`.
 */
export { SpiffeError, SPIFFE_ERRORS, isSpiffeError, type SpiffeErrorCode } from './errors.js';
export { SpiffeId, TrustDomain } from './id.js';
export { authorizeAny, authorizeId, authorizeMemberOf, authorizeOneOf, type Authorizer } from './authorizers.js';
export { splitDerCertificates, spiffeIdFromCertificate, spiffeIdFromPeerCertificate } from './certificate.js';
export { createX509Bundle, validateX509Svid, type X509Bundle, type X509Svid } from './svid.js';
export { parseEndpointSocket } from './endpoint.js';
export { createX509Source, type X509Source, type X509SourceOptions } from './x509-source.js';
export { createChannelCredentials, createServerCredentials, X509SourceCertificateProvider } from './credentials.js';
export { WORKLOAD_API_HEADER } from './workload-client.js';
export type { Logger } from './logger.js';
