/**
 * Test and development helpers of @stats-agent/spiffe: an in-process CA that mints X509-SVIDs
 * (including deliberately broken ones), and a development SPIFFE Workload API server speaking the
 * real protocol on unix sockets. Not for production identities.
 */
export { TestCa, type KeyUsageName, type MintedSvid, type MintSvidOptions } from './ca.js';
export { DevWorkloadApiServer, type DevWorkloadApiServerOptions } from './dev-server.js';
export { loadOrCreateCaDir } from './ca-dir.js';
