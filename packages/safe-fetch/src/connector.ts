import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';
import { FetchError } from './errors.js';
import { checkAddress } from './policy.js';
import type { FetchPolicy } from './policy.js';

/** How the fetcher's Agent opens sockets (undici's connector signature). */
export type Connector = buildConnector.connector;

/** One address a host name resolved to. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/**
 * Resolves a host name to every address it has. The default is `dns.lookup` with `all: true`
 * (the system resolver, /etc/hosts included); tests pass a stub.
 */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface ConnectorOptions {
  /** Replaces `dns.lookup(host, { all: true })`. Called once per new connection to a host name. */
  resolve?: Resolver;
  /**
   * Opens the socket once the address is checked: it gets undici's connect options with
   * `hostname` set to the checked IP address (never a name) and `servername` to the URL's host
   * name for TLS. Defaults to undici's `buildConnector` with the policy's connect timeout and
   * certificate verification on. Tests pass one that records and redirects to a loopback sentinel
   * or refuses, so they never dial anything but 127.0.0.1.
   */
  dial?: Connector;
}

/** Addresses of one name tried in turn when a dial fails (each is checked before any is tried). */
const MAX_DIAL_ATTEMPTS = 3;

const defaultResolve: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * A lookup that refuses: the default dial is only ever given IP addresses, for which Node calls
 * no lookup. Were it ever handed a name, it fails closed instead of resolving a second time.
 */
function refusingLookup(hostname: string, _options: unknown, callback: (err: Error) => void): void {
  callback(new Error(`safe-fetch: refused to resolve ${hostname} a second time`));
}

/**
 * The connector every connection of a {@link PageFetcher} goes through, enforcing the address
 * policy at connect time:
 *
 * - an IP-literal host (undici calls no `lookup` for those) is judged as it is;
 * - a host name is resolved ONCE (`resolve`, within the connect timeout), EVERY address is judged
 *   with {@link checkAddress} — one refused address refuses the connection, so a DNS answer that
 *   mixes a public and a private address gets nowhere — and only a checked address is dialled, as
 *   an IP address, so no second resolution can differ (DNS rebinding);
 * - TLS keeps the URL's host name as servername (SNI and certificate host-name check) and
 *   certificate verification stays on.
 *
 * A refusal reaches the callback as a FetchError FETCH_ERR_ADDRESS or FETCH_ERR_PORT; a name that
 * does not resolve as FETCH_ERR_NETWORK; a resolver slower than `connectTimeoutMs` as
 * FETCH_ERR_TIMEOUT. Keep-alive sockets are reused per origin, each checked when it was opened.
 */
export function createConnector(policy: Readonly<FetchPolicy>, options: ConnectorOptions = {}): Connector {
  const resolve = options.resolve ?? defaultResolve;
  const dial = options.dial ?? buildConnector({ timeout: policy.connectTimeoutMs, lookup: refusingLookup } as buildConnector.BuildOptions);

  return (opts, callback) => {
    const hostname = opts.hostname.startsWith('[') ? opts.hostname.slice(1, -1) : opts.hostname;
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    const origin = `${opts.protocol}//${opts.host ?? hostname}`;
    const isName = isIP(hostname) === 0;

    const addresses = isName ? withDeadline(resolve(hostname), policy.connectTimeoutMs, origin) : Promise.resolve([{ address: hostname, family: isIP(hostname) }]);
    addresses
      .then((found) => {
        if (found.length === 0) throw new FetchError('FETCH_ERR_NETWORK', origin, `${hostname} has no address`);
        // Judge every address before dialling any.
        const checked = [...new Set(found.map((a) => checkAddress(policy, hostname, port, a.address, origin)))];
        const servername = opts.protocol === 'https:' && isName ? (opts.servername ?? hostname) : undefined;
        dialInTurn(dial, opts, checked.slice(0, MAX_DIAL_ATTEMPTS), port, servername, callback);
      })
      .catch((err: unknown) => {
        if (err instanceof FetchError) callback(err, null);
        else callback(new FetchError('FETCH_ERR_NETWORK', origin, `could not resolve ${hostname}: ${errorText(err)}`, { cause: err }), null);
      });
  };
}

function dialInTurn(
  dial: Connector,
  opts: buildConnector.Options,
  addresses: string[],
  port: number,
  servername: string | undefined,
  callback: buildConnector.Callback,
): void {
  const [address, ...rest] = addresses;
  if (address === undefined) return;
  const { servername: _ignored, ...base } = opts;
  const next: buildConnector.Options = { ...base, hostname: address, port: String(port) };
  if (servername !== undefined) next.servername = servername;
  dial(next, (err, socket) => {
    if (err !== null && rest.length > 0) dialInTurn(dial, opts, rest, port, servername, callback);
    else if (err !== null) callback(err, null);
    else callback(null, socket);
  });
}

function withDeadline<T>(p: Promise<T>, ms: number, origin: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new FetchError('FETCH_ERR_TIMEOUT', origin, `resolving the host took more than ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

function errorText(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err) return String(err.code);
  return err instanceof Error ? err.message : String(err);
}
