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
import { spiffeIdFromPeerCertificate, type Authorizer, type SpiffeId } from '@stats-agent/spiffe';
import { requestIdFrom } from './metadata.js';

/** Method path (`/pkg.Service/Method`) → who may call it. Methods not listed are refused. */
export type MethodPolicy = Readonly<Record<string, Authorizer>>;

export type CallerCheck =
  | { ok: true; caller: SpiffeId }
  | { ok: false; code: status.UNAUTHENTICATED | status.PERMISSION_DENIED; details: string; caller?: string };

/** Decides one call from the peer certificate of its TLS connection. */
export function checkCaller(policy: MethodPolicy, method: string, call: Pick<ServerInterceptingCallInterface, 'getAuthContext'>): CallerCheck {
  const cert = call.getAuthContext()?.sslPeerCertificate;
  if (!cert || !cert.raw) {
    return { ok: false, code: status.UNAUTHENTICATED, details: 'no client certificate' };
  }
  let caller: SpiffeId;
  try {
    caller = spiffeIdFromPeerCertificate(cert);
  } catch {
    return { ok: false, code: status.UNAUTHENTICATED, details: 'client certificate carries no valid SPIFFE ID' };
  }
  const authorize = policy[method];
  if (!authorize) {
    return { ok: false, code: status.PERMISSION_DENIED, details: `${method} is not open to any caller`, caller: caller.toString() };
  }
  try {
    authorize(caller);
  } catch {
    return { ok: false, code: status.PERMISSION_DENIED, details: `${caller.toString()} may not call ${method}`, caller: caller.toString() };
  }
  return { ok: true, caller };
}

/** A call the authorization interceptor refused (for an audit trail): identifiers only. */
export interface DeniedCall {
  /** `/pkg.Service/Method` */
  method: string;
  /** The caller's SPIFFE ID; undefined when it presented none (no certificate, no valid ID). */
  caller: string | undefined;
  code: 'UNAUTHENTICATED' | 'PERMISSION_DENIED';
  /** The peer address as grpc-js reports it (`ip:port`). */
  peer: string;
  requestId: string;
}

/**
 * Server interceptor that authorizes every call by the caller's SPIFFE ID before any handler
 * runs: no certificate → UNAUTHENTICATED, an ID the policy refuses → PERMISSION_DENIED and a
 * warning naming who was refused. `onDenied` is told of each refusal after it is logged; it must
 * not block (an exception from it is logged and ignored, the caller is refused all the same).
 */
export function authorizationInterceptor(
  policy: MethodPolicy,
  deps: { logger: Logger; metrics?: ServiceMetrics; onDenied?: ((call: DeniedCall) => void) | undefined },
): ServerInterceptor {
  return (method: ServerMethodDefinition<unknown, unknown>, call: ServerInterceptingCallInterface) => {
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const verdict = checkCaller(policy, method.path, call);
        if (verdict.ok) {
          next(metadata);
          return;
        }
        deps.metrics?.authzDenied.inc({ method: method.path });
        const denied: DeniedCall = {
          method: method.path,
          caller: verdict.caller,
          code: verdict.code === status.UNAUTHENTICATED ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED',
          peer: call.getPeer(),
          requestId: requestIdFrom(metadata),
        };
        deps.logger.warn(
          { method: denied.method, caller: denied.caller ?? null, peer: denied.peer, code: denied.code, request_id: denied.requestId },
          'call refused by SPIFFE authorization',
        );
        try {
          deps.onDenied?.(denied);
        } catch (err) {
          deps.logger.error({ err: { message: err instanceof Error ? err.message : String(err) }, method: denied.method }, 'onDenied hook failed');
        }
        call.sendStatus({ code: verdict.code, details: verdict.details });
      })
      .build();
    const responder = new ResponderBuilder().withStart((next) => next(listener)).build();
    return new ServerInterceptingCall(call, responder);
  };
}
