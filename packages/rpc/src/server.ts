import { Server, type ServerCredentials, type ServerInterceptor } from '@grpc/grpc-js';
import type { Logger } from '@stats-agent/logging';
import type { ServiceMetrics } from '@stats-agent/metrics';
import { createServerCredentials, type X509Source } from '@stats-agent/spiffe';
import { authorizationInterceptor, type DeniedCall, type MethodPolicy } from './authz.js';
import { observabilityInterceptor } from './observe.js';

export interface AgentServerOptions {
  logger: Logger;
  metrics: ServiceMetrics;
  policy: MethodPolicy;
  /** Told of every call the SPIFFE authorization refuses (e.g. to audit it); must not block. */
  onDenied?: ((call: DeniedCall) => void) | undefined;
  /** Upper bound on concurrent streams per connection. */
  maxConcurrentStreams?: number;
  maxReceiveMessageBytes?: number;
  /** Close connections older than this (gracefully), so clients re-handshake with current SVIDs. */
  maxConnectionAgeMs?: number;
  maxConnectionAgeGraceMs?: number;
}

/**
 * A grpc-js server whose every call is counted, timed and authorized by the caller's SPIFFE
 * ID. It is not bound; `bindMtls` binds it with mTLS credentials — there is no plaintext path.
 */
export function createAgentServer(opts: AgentServerOptions): Server {
  const interceptors: ServerInterceptor[] = [
    observabilityInterceptor({ logger: opts.logger, metrics: opts.metrics }),
    authorizationInterceptor(opts.policy, { logger: opts.logger, metrics: opts.metrics, onDenied: opts.onDenied }),
  ];
  return new Server({
    interceptors,
    'grpc.max_concurrent_streams': opts.maxConcurrentStreams ?? 100,
    'grpc.max_receive_message_length': opts.maxReceiveMessageBytes ?? 8 * 1024 * 1024,
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.http2.min_ping_interval_without_data_ms': 10_000,
    'grpc.max_connection_age_ms': opts.maxConnectionAgeMs ?? 1_800_000,
    'grpc.max_connection_age_grace_ms': opts.maxConnectionAgeGraceMs ?? 30_000,
  });
}

/** Binds with mTLS from the X509Source (client certificates required); resolves the port. */
export function bindMtls(server: Server, host: string, port: number, source: X509Source): Promise<number> {
  return bind(server, host, port, createServerCredentials(source));
}

function bind(server: Server, host: string, port: number, creds: ServerCredentials): Promise<number> {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}

/** Stops taking new calls, waits for running ones up to `graceMs`, then cancels the rest. */
export function drainServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
