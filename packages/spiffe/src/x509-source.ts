import { stat } from 'node:fs/promises';
import { parseEndpointSocket, START_AGENT_HINT } from './endpoint.js';
import { SpiffeError } from './errors.js';
import type { TrustDomain } from './id.js';
import { silentLogger, type Logger } from './logger.js';
import type { X509Bundle, X509Svid } from './svid.js';
import { DEFAULT_BACKOFF, X509SvidStream, type BackoffOptions } from './workload-client.js';
import { parseX509SvidResponse, type X509Context } from './workload-response.js';

/** The latest X509-SVID and bundles of this workload, kept current by the Workload API. */
export interface X509Source {
  /** The latest default SVID (the first of the response). Throws SPIFFE_ERR_CLOSED after close(). */
  getX509Svid(): X509Svid;
  /** The bundle of `td` (own or federated), or undefined when there is none. */
  getX509BundleForTrustDomain(td: TrustDomain): X509Bundle | undefined;
  /** Calls `listener` after every accepted update (rotation); returns the unsubscribe function. */
  onUpdate(listener: (svid: X509Svid) => void): () => void;
  /** Cancels the Workload API stream and closes its channel. Idempotent. */
  close(): Promise<void>;
}

export interface X509SourceOptions {
  /** `unix:///abs/path`, `unix:/abs/path` or `/abs/path`; default: SPIFFE_ENDPOINT_SOCKET. */
  socketPath?: string;
  logger?: Logger;
  /** How long to wait for the first valid SVID (default 15000 ms). */
  initialTimeoutMs?: number;
  /** Reconnection backoff; tests shorten it. */
  backoff?: BackoffOptions;
}

class WorkloadX509Source implements X509Source {
  private context: X509Context | undefined;
  private readonly listeners = new Set<(svid: X509Svid) => void>();
  private readonly stream: X509SvidStream;
  private closed = false;
  private settleInitial: ((err?: Error) => void) | undefined;
  private lastError: Error | undefined;

  constructor(
    private readonly socketPath: string,
    private readonly logger: Logger,
    backoff: BackoffOptions,
  ) {
    this.stream = new X509SvidStream(
      socketPath,
      {
        onResponse: (response) => {
          let next: X509Context;
          try {
            next = parseX509SvidResponse(response);
          } catch (err) {
            this.lastError = err as Error;
            this.logger.warn({ err: { message: (err as Error).message }, socketPath }, 'spiffe: ignored an invalid X509-SVID update');
            return;
          }
          this.accept(next);
        },
        onRetry: (err, delayMs) => {
          this.lastError = err;
          this.logger.warn(
            { code: err.code, details: err.details ?? err.message, delayMs, socketPath, serving: this.context !== undefined },
            'spiffe: Workload API stream failed; reconnecting',
          );
        },
        onFatal: (err) => {
          this.lastError = err;
          this.logger.error(
            { code: err.code, details: err.details, socketPath },
            'spiffe: Workload API refused the request (InvalidArgument); not retrying',
          );
          this.settleInitial?.(
            new SpiffeError('SPIFFE_ERR_WORKLOAD_API_UNAVAILABLE', `Workload API at ${socketPath} refused FetchX509SVID: ${err.details}`, {
              cause: err,
            }),
          );
        },
      },
      backoff,
    );
  }

  private accept(next: X509Context): void {
    const previous = this.context;
    this.context = next;
    const { svid } = next;
    for (const s of next.skipped) {
      this.logger.warn({ trustDomain: s.trustDomain, reason: s.reason }, 'spiffe: ignored a federated bundle');
    }
    this.logger.debug(
      {
        spiffeId: svid.id.toString(),
        serial: svid.certificates[0]?.serialNumber,
        expiresAt: svid.expiresAt.toISOString(),
        rotated: previous !== undefined,
      },
      'spiffe: X509-SVID updated',
    );
    this.settleInitial?.();
    for (const listener of [...this.listeners]) {
      try {
        listener(svid);
      } catch (err) {
        this.logger.error({ err: { message: (err as Error).message } }, 'spiffe: an X509Source update listener threw');
      }
    }
  }

  /** Resolves on the first valid SVID; rejects on timeout or InvalidArgument. */
  start(initialTimeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const last = this.lastError ? ` (last error: ${this.lastError.message})` : '';
        this.settleInitial?.(
          new SpiffeError(
            'SPIFFE_ERR_WORKLOAD_API_UNAVAILABLE',
            `no valid X509-SVID from the Workload API at ${this.socketPath} within ${initialTimeoutMs} ms${last}: is this workload registered, and is the agent healthy?`,
            { cause: this.lastError },
          ),
        );
      }, initialTimeoutMs);
      this.settleInitial = (err) => {
        this.settleInitial = undefined;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      this.stream.start();
    });
  }

  getX509Svid(): X509Svid {
    if (this.closed) throw new SpiffeError('SPIFFE_ERR_CLOSED', 'X509Source is closed');
    if (!this.context) throw new SpiffeError('SPIFFE_ERR_WORKLOAD_API_UNAVAILABLE', 'X509Source has no SVID yet');
    return this.context.svid;
  }

  getX509BundleForTrustDomain(td: TrustDomain): X509Bundle | undefined {
    if (this.closed) throw new SpiffeError('SPIFFE_ERR_CLOSED', 'X509Source is closed');
    const ctx = this.context;
    if (!ctx) return undefined;
    if (ctx.bundle.trustDomain.equals(td)) return ctx.bundle;
    return ctx.federated.get(td.name);
  }

  onUpdate(listener: (svid: X509Svid) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.listeners.clear();
      this.stream.close();
      this.settleInitial?.(new SpiffeError('SPIFFE_ERR_CLOSED', 'X509Source closed before the first SVID arrived'));
    }
    return Promise.resolve();
  }
}

/**
 * Connects to the Workload API and resolves once the first valid X509-SVID has arrived; then
 * keeps it current (every new message is validated against its bundle before it replaces the
 * current one; invalid ones are logged and ignored) and reconnects with backoff on failures,
 * serving the last good SVID meanwhile. Rejects with SpiffeError SPIFFE_ERR_NO_SOCKET when the
 * socket is not configured or does not exist, SPIFFE_ERR_WORKLOAD_API_UNAVAILABLE when no valid
 * SVID arrives within `initialTimeoutMs` or the agent refuses the request. The source holds a
 * channel open: close() it.
 */
export async function createX509Source(opts: X509SourceOptions = {}): Promise<X509Source> {
  const socketPath = parseEndpointSocket(opts.socketPath ?? process.env['SPIFFE_ENDPOINT_SOCKET']);
  try {
    const st = await stat(socketPath);
    if (!st.isSocket()) {
      throw new SpiffeError('SPIFFE_ERR_NO_SOCKET', `Workload API socket ${socketPath} is not a socket: ${START_AGENT_HINT}`);
    }
  } catch (err) {
    if (err instanceof SpiffeError) throw err;
    throw new SpiffeError(
      'SPIFFE_ERR_NO_SOCKET',
      `Workload API socket ${socketPath} does not exist (${(err as NodeJS.ErrnoException).code ?? 'stat failed'}): ${START_AGENT_HINT}`,
      { cause: err },
    );
  }
  const source = new WorkloadX509Source(socketPath, opts.logger ?? silentLogger, opts.backoff ?? DEFAULT_BACKOFF);
  try {
    await source.start(opts.initialTimeoutMs ?? 15_000);
  } catch (err) {
    await source.close();
    throw err;
  }
  return source;
}
