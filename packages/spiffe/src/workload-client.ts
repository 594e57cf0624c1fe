import { credentials, Metadata, status, type ClientReadableStream, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { loadProtos, type SpiffeWorkloadAPIClient, type X509SVIDResponse__Output } from '@stats-agent/proto';

/** The header every Workload API call must carry; agents refuse calls without it. */
export const WORKLOAD_API_HEADER = 'workload.spiffe.io';

export interface BackoffOptions {
  /** First retry delay before jitter (default 500 ms). */
  initialMs: number;
  /** Upper bound of any retry delay (default 30 s). */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

export interface X509StreamHandlers {
  /** Every message of the FetchX509SVID stream. */
  onResponse(response: X509SVIDResponse__Output): void;
  /** The stream failed and will be retried after `delayMs`. */
  onRetry(error: Error & Partial<ServiceError>, delayMs: number): void;
  /** The agent answered InvalidArgument: the request itself is wrong, so the watcher stops. */
  onFatal(error: ServiceError): void;
}

/** Exponential backoff with "equal jitter": half the delay fixed, half random. */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const capped = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(capped / 2 + (random() * capped) / 2);
}

/**
 * Keeps a FetchX509SVID server stream open on a unix-socket Workload API: a grpc-js client with
 * insecure credentials (the Workload API is local and unauthenticated by design), the
 * `workload.spiffe.io: true` header, and reconnection with bounded, jittered exponential backoff
 * on any failure except InvalidArgument. Call close() to cancel the stream and the channel.
 */
export class X509SvidStream {
  private readonly client: SpiffeWorkloadAPIClient;
  private call: ClientReadableStream<X509SVIDResponse__Output> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private closed = false;

  constructor(
    socketPath: string,
    private readonly handlers: X509StreamHandlers,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {
    const { SpiffeWorkloadAPI } = loadProtos().workload;
    this.client = new SpiffeWorkloadAPI(`unix:${socketPath}`, credentials.createInsecure());
  }

  start(): void {
    if (this.closed || this.call) return;
    const metadata = new Metadata();
    metadata.set(WORKLOAD_API_HEADER, 'true');
    const call = this.client.FetchX509SVID({}, metadata);
    this.call = call;
    call.on('data', (response: X509SVIDResponse__Output) => {
      if (this.call !== call) return;
      this.attempt = 0;
      this.handlers.onResponse(response);
    });
    call.on('error', (err: ServiceError) => {
      if (this.call !== call || this.closed) return;
      this.call = undefined;
      if (err.code === status.INVALID_ARGUMENT) {
        this.handlers.onFatal(err);
        return;
      }
      this.scheduleRetry(err);
    });
    call.on('status', (s: StatusObject) => {
      // A stream the agent ends with OK is not an answer either: reconnect (as go-spiffe does).
      if (s.code !== status.OK || this.call !== call || this.closed) return;
      this.call = undefined;
      this.scheduleRetry(new Error('Workload API closed the FetchX509SVID stream'));
    });
  }

  private scheduleRetry(err: Error & Partial<ServiceError>): void {
    const delayMs = backoffDelay(this.attempt, this.backoff);
    this.attempt += 1;
    this.handlers.onRetry(err, delayMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.start();
    }, delayMs);
    // The stream is what keeps a process alive, not its retry timer.
    this.retryTimer.unref();
  }

  /** Cancels the stream and closes the channel. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.call?.cancel();
    this.call = undefined;
    this.client.close();
  }
}
