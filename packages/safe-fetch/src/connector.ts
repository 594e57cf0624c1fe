import { buildConnector } from 'undici';
import type { FetchPolicy } from './policy.js';

/** How the fetcher's Agent opens sockets (undici's connector signature). */
export type Connector = buildConnector.connector;

/**
 * The connector every connection of a {@link PageFetcher} goes through: plain TCP/TLS with the
 * policy's connect timeout. This is the hook point for the address policy: it will resolve the
 * host here, refuse private, loopback and other non-public addresses (IP literals included, since
 * undici calls no `lookup` for them), and dial the address it checked, so that a resolver
 * answering differently the second time cannot get past it.
 */
export function createConnector(policy: Readonly<FetchPolicy>): Connector {
  return buildConnector({ timeout: policy.connectTimeoutMs });
}
