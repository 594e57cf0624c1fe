import {
  ResponderBuilder,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  type ServerMethodDefinition,
} from '@grpc/grpc-js';
import type { Logger } from '@stats-agent/logging';
import type { ServiceMetrics } from '@stats-agent/metrics';
import { requestIdFrom } from './metadata.js';

/** Counts and times every call on the server and logs the ones that fail. */
export function observabilityInterceptor(deps: { logger: Logger; metrics: ServiceMetrics }): ServerInterceptor {
  return (method: ServerMethodDefinition<unknown, unknown>, call: ServerInterceptingCallInterface) => {
    const started = process.hrtime.bigint();
    let requestId = '';
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        requestId = requestIdFrom(metadata);
        next(metadata);
      })
      .build();
    const responder = new ResponderBuilder()
      .withStart((next) => next(listener))
      .withSendStatus((s, next) => {
        const code = status[s.code] ?? String(s.code);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        deps.metrics.grpcServerHandled.inc({ method: method.path, code });
        deps.metrics.grpcServerDuration.observe({ method: method.path, code }, seconds);
        const line = { method: method.path, code, duration_ms: Math.round(seconds * 1000), request_id: requestId || undefined };
        if (s.code === status.OK) deps.logger.debug(line, 'call done');
        else deps.logger.info(line, 'call failed');
        next(s);
      })
      .build();
    return new ServerInterceptingCall(call, responder);
  };
}
