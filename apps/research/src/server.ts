import type { Server } from '@grpc/grpc-js';
import type { Logger } from '@stats-agent/logging';
import { loadProtos, type ResearchServiceHandlers } from '@stats-agent/proto';
import { unary } from '@stats-agent/rpc';
import type { Cache } from '@stats-agent/cache';
import { forgetHandler, forgetRequestSchema } from './handlers/forget.js';
import { ForgetGenerations, searchHandler, searchRequestSchema, type TopicPages } from './handlers/search.js';
import type { SearchProvider } from './providers/provider.js';

export const RESEARCH_SERVICE = 'stats.research.v1.ResearchService';

/** Adds the research service to a server; does not bind (tests use it directly). */
export function registerResearch(
  server: Server,
  deps: { provider: SearchProvider; logger: Logger; defaultLimit: number; cache: Cache<TopicPages>; cacheTtlMs: number },
): void {
  const generations = new ForgetGenerations();
  const handlers: ResearchServiceHandlers = {
    Search: unary('research.Search', searchRequestSchema, searchHandler(deps.provider, deps.defaultLimit, deps.cache, { ttlMs: deps.cacheTtlMs, generations }), deps),
    Forget: unary('research.Forget', forgetRequestSchema, forgetHandler(deps.provider, deps.cache, generations), deps),
  };
  server.addService(loadProtos().research.ResearchService.service, handlers);
}
