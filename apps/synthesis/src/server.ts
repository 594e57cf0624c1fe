import type { Server } from '@grpc/grpc-js';
import type { Logger } from '@stats-agent/logging';
import { loadProtos, type SynthesisServiceHandlers } from '@stats-agent/proto';
import { unary } from '@stats-agent/rpc';
import { extractHandler, extractRequestSchema, type ExtractDeps } from './handlers/extract.js';

export const SYNTHESIS_SERVICE = 'stats.synthesis.v1.SynthesisService';

/** Adds the synthesis service to a server; does not bind (tests use it directly). */
export function registerSynthesis(server: Server, deps: ExtractDeps & { logger: Logger }): void {
  const handlers: SynthesisServiceHandlers = {
    Extract: unary('synthesis.Extract', extractRequestSchema, extractHandler(deps), deps),
  };
  server.addService(loadProtos().synthesis.SynthesisService.service, handlers);
}
