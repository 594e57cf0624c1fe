import { status } from '@grpc/grpc-js';

/**
 * The error catalog of @stats-agent/spiffe: each stable code, the gRPC status it maps to when it
 * reaches a caller, and what it means.
 */
export const SPIFFE_ERRORS = {
  /** A string is not a valid SPIFFE ID or trust domain name. */
  SPIFFE_ERR_INVALID_ID: { status: status.UNAUTHENTICATED },
  /** A certificate chain is not a valid X509-SVID for the bundle it was checked against. */
  SPIFFE_ERR_SVID_INVALID: { status: status.UNAUTHENTICATED },
  /** DER bytes that do not hold well-formed certificates. */
  SPIFFE_ERR_INVALID_CERTIFICATE: { status: status.UNAUTHENTICATED },
  /** The peer presented no certificate. */
  SPIFFE_ERR_NO_PEER_CERTIFICATE: { status: status.UNAUTHENTICATED },
  /** An authorizer refused a (valid) SPIFFE ID. */
  SPIFFE_ERR_UNAUTHORIZED: { status: status.PERMISSION_DENIED },
  /** The Workload API did not deliver a usable X509-SVID. */
  SPIFFE_ERR_WORKLOAD_API_UNAVAILABLE: { status: status.UNAVAILABLE },
  /** No Workload API socket is configured, or it does not exist. */
  SPIFFE_ERR_NO_SOCKET: { status: status.FAILED_PRECONDITION },
  /** The X509Source was used after close(). */
  SPIFFE_ERR_CLOSED: { status: status.UNAVAILABLE },
} as const satisfies Record<string, { status: status }>;

export type SpiffeErrorCode = keyof typeof SPIFFE_ERRORS;

/**
 * Every error this package throws. `code` is stable (match on it, not on the message);
 * `grpcStatus` is the status a server should answer with; the message starts with `spiffe:`.
 */
export class SpiffeError extends Error {
  override readonly name = 'SpiffeError';
  readonly code: SpiffeErrorCode;
  readonly grpcStatus: status;

  constructor(code: SpiffeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message.startsWith('spiffe:') ? message : `spiffe: ${message}`, options);
    this.code = code;
    this.grpcStatus = SPIFFE_ERRORS[code].status;
  }
}

export function isSpiffeError(err: unknown, code?: SpiffeErrorCode): err is SpiffeError {
  return err instanceof SpiffeError && (code === undefined || err.code === code);
}
