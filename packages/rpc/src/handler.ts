import { status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from '@stats-agent/logging';
import { spiffeIdFromPeerCertificate, type SpiffeId } from '@stats-agent/spiffe';
import type { z } from 'zod';
import { RpcError } from './errors.js';
import { IdempotencyCache, idempotencyKeyFrom } from './idempotency.js';
import { requestIdFrom } from './metadata.js';

export interface CallContext {
  requestId: string;
  /** Logger with the request id and method on every line. */
  logger: Logger;
  /** The authenticated caller (the authorization interceptor has already admitted it). */
  caller: SpiffeId | undefined;
  /** Aborted when the caller cancels or the deadline passes. */
  signal: AbortSignal;
  /** Milliseconds left before the caller's deadline, or undefined without one. */
  remainingMs(): number | undefined;
}

export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;

function callerOf(call: ServerUnaryCall<unknown, unknown>): SpiffeId | undefined {
  try {
    return spiffeIdFromPeerCertificate(call.getAuthContext()?.sslPeerCertificate);
  } catch {
    return undefined;
  }
}

function deadlineOf(call: ServerUnaryCall<unknown, unknown>): number | undefined {
  const d = call.getDeadline();
  if (d instanceof Date) return d.getTime();
  return Number.isFinite(d) && d > 0 ? d : undefined;
}

export function zodMessage(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'request'}: ${i.message}`)
    .join('; ');
}

/**
 * Adapts an async handler to grpc-js: validates the request with `schema` (a peer is not
 * trusted for the shape of what it sends), gives the handler a context, and turns the result
 * or the thrown error into exactly one response. Unknown errors reach the caller as INTERNAL
 * with a generic message; the full error goes to the log.
 */
export function unary<S extends z.ZodType, Res>(
  name: string,
  schema: S,
  handler: UnaryHandler<z.output<S>, Res>,
  deps: { logger: Logger; idempotency?: IdempotencyCache },
): (call: ServerUnaryCall<unknown, Res>, callback: sendUnaryData<Res>) => void {
  // Every method remembers the answers to calls that carry an idempotency key (bounded).
  const idempotency = deps.idempotency ?? new IdempotencyCache();
  return (call, callback) => {
    const requestId = requestIdFrom(call.metadata);
    const logger = deps.logger.child({ request_id: requestId, rpc: name });
    const controller = new AbortController();
    const deadline = deadlineOf(call);
    let timer: NodeJS.Timeout | undefined;
    if (deadline !== undefined) {
      timer = setTimeout(() => controller.abort(new Error('deadline exceeded')), Math.max(0, deadline - Date.now()));
    }
    call.once('cancelled', () => controller.abort(new Error('cancelled by caller')));
    const ctx: CallContext = {
      requestId,
      logger,
      caller: callerOf(call),
      signal: controller.signal,
      remainingMs: () => (deadline === undefined ? undefined : deadline - Date.now()),
    };
    const respond = (err: Parameters<sendUnaryData<Res>>[0], value?: Res): void => {
      clearTimeout(timer);
      if (err) callback(err, null);
      else callback(null, value);
    };
    const parsed = schema.safeParse(call.request);
    if (!parsed.success) {
      logger.info({ problems: parsed.error.issues.length }, 'invalid request');
      respond({ code: status.INVALID_ARGUMENT, details: zodMessage(parsed.error) });
      return;
    }
    // A handler that finishes after its call was cancelled or ran out of time may have had its
    // work cut short (fetches aborted half-way): its result is not an answer, neither for the
    // caller nor for a repeat of the call, which must do the work again.
    const run = async (): Promise<Res> => {
      const result = await handler(parsed.data, ctx);
      controller.signal.throwIfAborted();
      return result;
    };
    const key = idempotencyKeyFrom(call.metadata);
    let pending: Promise<Res>;
    if (key === undefined) pending = run();
    else {
      const entry = IdempotencyCache.entryKey(ctx.caller?.toString() ?? '', name, key, parsed.data);
      const { value, repeated } = idempotency.run(entry, run);
      if (repeated) logger.info({ idempotency_key: key }, 'repeated call answered from the first');
      // A repeat whose first call then fails (cancelled by its own caller, say) does the work itself.
      pending = repeated ? value.catch(run) : value;
    }
    pending.then(
      (value) => respond(null, value),
      (err: unknown) => {
        if (err instanceof RpcError) {
          respond({ code: err.grpcStatus, details: err.message });
        } else if (controller.signal.aborted) {
          respond({ code: status.CANCELLED, details: `${name}: ${String(controller.signal.reason)}` });
        } else {
          logger.error({ err }, 'handler failed');
          respond({ code: status.INTERNAL, details: `${name}: internal error (request ${requestId})` });
        }
      },
    );
  };
}
