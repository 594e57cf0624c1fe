import type { Server } from '@grpc/grpc-js';
import type { Logger } from '@stats-agent/logging';
import { loadProtos, type VerificationServiceHandlers } from '@stats-agent/proto';
import { unary } from '@stats-agent/rpc';
import { verifyHandler, verifyRequestSchema, type VerifyDeps } from './handlers/verify.js';

export const VERIFICATION_SERVICE = 'stats.verification.v1.VerificationService';

/** Adds the verification service to a server; does not bind (tests use it directly). */
export function registerVerification(server: Server, deps: VerifyDeps & { logger: Logger }): void {
  const handlers: VerificationServiceHandlers = {
    Verify: unary('verification.Verify', verifyRequestSchema, verifyHandler(deps), deps),
  };
  server.addService(loadProtos().verification.VerificationService.service, handlers);
}
