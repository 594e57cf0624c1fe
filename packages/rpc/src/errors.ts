import { status } from '@grpc/grpc-js';

/**
 * An error a handler throws on purpose: a stable code (`AREA_ERR_WHAT`), the gRPC status it
 * maps to and a message safe to show the caller. Anything else becomes INTERNAL with a
 * generic message, the full error going to the log only.
 */
export class RpcError extends Error {
  constructor(
    readonly code: string,
    readonly grpcStatus: status,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RpcError';
  }
}

export const invalidArgument = (message: string, cause?: unknown): RpcError =>
  new RpcError('RPC_ERR_INVALID_ARGUMENT', status.INVALID_ARGUMENT, message, { cause });

/** A grpc-js ServiceError as seen by a client. */
export interface GrpcCallError extends Error {
  code: status;
  details: string;
}

export function isGrpcCallError(err: unknown): err is GrpcCallError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && 'details' in err;
}

export function statusName(code: status): string {
  return status[code] ?? String(code);
}
