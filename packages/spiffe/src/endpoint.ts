import { isAbsolute } from 'node:path';
import { SpiffeError } from './errors.js';

/** What to do when no Workload API is reachable: told in every "no socket" message. */
export const START_AGENT_HINT =
  'start the SPIFFE agent or the development Workload API server (`stats-agent-spiffe-dev serve`) and set SPIFFE_ENDPOINT_SOCKET';

function noSocket(message: string): SpiffeError {
  return new SpiffeError('SPIFFE_ERR_NO_SOCKET', `${message}: ${START_AGENT_HINT}`);
}

/**
 * Turns a SPIFFE_ENDPOINT_SOCKET value into the absolute path of the Workload API's unix socket.
 * Accepts `unix:///abs/path`, `unix:/abs/path` and, for convenience, a bare absolute path. Throws
 * SpiffeError SPIFFE_ERR_NO_SOCKET when the value is missing, not a unix socket URI (TCP is not
 * supported) or not absolute; the message says what to start and set.
 */
export function parseEndpointSocket(value: string | undefined): string {
  const raw = value?.trim() ?? '';
  if (raw === '') return throwNoSocket('SPIFFE_ENDPOINT_SOCKET is not set');
  if (raw.startsWith('/')) return raw;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return throwNoSocket(`Workload API endpoint ${JSON.stringify(raw)} is not a unix:///absolute/path URI`);
  }
  if (url.protocol !== 'unix:') {
    return throwNoSocket(
      `Workload API endpoint ${JSON.stringify(raw)} uses scheme ${url.protocol} (only unix:///absolute/path is supported)`,
    );
  }
  if (url.host !== '' || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    return throwNoSocket(
      `Workload API endpoint ${JSON.stringify(raw)} must be unix:///absolute/path (no host, user, query or fragment)`,
    );
  }
  const path = decodeURIComponent(url.pathname);
  if (!isAbsolute(path)) {
    return throwNoSocket(`Workload API endpoint ${JSON.stringify(raw)} has a relative path`);
  }
  return path;
}

function throwNoSocket(message: string): never {
  throw noSocket(message);
}
