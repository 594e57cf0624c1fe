import { Metadata } from '@grpc/grpc-js';
import { acceptRequestId } from '@stats-agent/logging';
import { IDEMPOTENCY_KEY } from './idempotency.js';

/** gRPC metadata key that carries the request id between agents (never used for authorization). */
export const REQUEST_ID_KEY = 'x-request-id';

export function requestIdFrom(metadata: Metadata): string {
  return acceptRequestId(metadata.get(REQUEST_ID_KEY)[0]);
}

export function metadataWithRequestId(requestId: string, idempotencyKey?: string): Metadata {
  const md = new Metadata();
  md.set(REQUEST_ID_KEY, requestId);
  if (idempotencyKey !== undefined) md.set(IDEMPOTENCY_KEY, idempotencyKey);
  return md;
}
