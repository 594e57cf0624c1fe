import {
  InterceptingCall,
  status,
  type CallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ClientUnaryCall,
  type Interceptor,
  type Metadata,
  type requestCallback,
} from '@grpc/grpc-js';
import type { ServiceMetrics } from '@stats-agent/metrics';
import { createChannelCredentials, type Authorizer, type X509Source } from '@stats-agent/spiffe';
import { statusName } from './errors.js';
import { metadataWithRequestId } from './metadata.js';

type ClientConstructor<C extends Client> = new (address: string, credentials: ChannelCredentials, options?: ChannelOptions) => C;

export interface AgentClientOptions {
  /** `host:port` of the agent. */
  target: string;
  source: X509Source;
  /** Who the server must be: its SPIFFE ID is checked instead of a host name. */
  authorizer: Authorizer;
  metrics?: ServiceMetrics;
}

function metricsInterceptor(metrics: ServiceMetrics): Interceptor {
  return (options, nextCall) => {
    const started = process.hrtime.bigint();
    const method = options.method_definition.path;
    return new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        next(metadata, {
          onReceiveStatus(s, nextStatus) {
            const code = statusName(s.code);
            metrics.grpcClientHandled.inc({ method, code });
            metrics.grpcClientDuration.observe({ method, code }, Number(process.hrtime.bigint() - started) / 1e9);
            nextStatus(s);
          },
        });
      },
    });
  };
}

/**
 * One long-lived mTLS channel to an agent. The channel follows SVID rotations by itself;
 * create it once per process and `close()` it at shutdown.
 */
export function createAgentClient<C extends Client>(Ctor: ClientConstructor<C>, opts: AgentClientOptions): C {
  const options: ChannelOptions = {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.max_receive_message_length': 8 * 1024 * 1024,
    // Retries stay ON: grpc-js then transparently replays calls the server refused before
    // reading them (REFUSED_STREAM when a connection reaches its max age, GOAWAY). With
    // 'grpc.enable_retries': 0 those calls fail with UNAVAILABLE "Stream refused by server".
    // The server is identified by its SPIFFE ID (checkServerIdentity), not a host name; a fixed
    // TLS server name keeps Node from warning about IP addresses as SNI (DEP0123).
    'grpc.ssl_target_name_override': 'spiffe-workload',
    ...(opts.metrics ? { interceptors: [metricsInterceptor(opts.metrics)] } : {}),
  };
  return new Ctor(opts.target, createChannelCredentials(opts.source, opts.authorizer), options);
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: CallOptions,
  callback: requestCallback<Res>,
) => ClientUnaryCall;

export interface CallSettings {
  /** Deadline for this call; required — no call without one. */
  timeoutMs: number;
  requestId: string;
  signal?: AbortSignal;
  /** Sent as `idempotency-key`: a repeat of the same call with the same key gets the first answer. */
  idempotencyKey?: string;
}

/**
 * Calls a unary method with a deadline and the request id in metadata; rejects with the
 * grpc-js ServiceError (code, details) on failure. Aborting `signal` cancels the call.
 */
export function callUnary<Req, Res>(method: UnaryMethod<Req, Res>, client: Client, request: Req, settings: CallSettings): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    if (settings.signal?.aborted) {
      reject(Object.assign(new Error('cancelled before start'), { code: status.CANCELLED, details: 'cancelled' }));
      return;
    }
    const call = method.call(
      client,
      request,
      metadataWithRequestId(settings.requestId, settings.idempotencyKey),
      { deadline: new Date(Date.now() + settings.timeoutMs) },
      (err, value) => {
        settings.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else if (value === undefined) reject(new Error('empty response'));
        else resolve(value);
      },
    );
    const onAbort = (): void => call.cancel();
    settings.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
