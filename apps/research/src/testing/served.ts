// Test scaffolding for the research handlers: captured logs, a call context, and the research
// service served over gRPC with a Serper provider against a local fake of its API.
import { Writable } from 'node:stream';
import { Server, ServerCredentials, credentials } from '@grpc/grpc-js';
import { createCache, type Cache } from '@stats-agent/cache';
import { createLogger, type Logger } from '@stats-agent/logging';
import { loadProtos, type ResearchServiceClient } from '@stats-agent/proto';
import type { CallContext } from '@stats-agent/rpc';
import type { TopicPages } from '../handlers/search.js';
import { SerperProvider } from '../providers/serper.js';
import { Reputation } from '../reputation.js';
import { registerResearch } from '../server.js';
import { FakeSearchApi } from './fake-search-apis.js';

/** A logger whose lines are kept in `lines`. */
export function capture(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const destination = new Writable({
    write: (chunk: Buffer, _e, cb) => {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, logger: createLogger({ service: 't', destination }) };
}

export function context(logger: Logger): CallContext {
  return { requestId: 'r', logger, caller: undefined, signal: new AbortController().signal, remainingMs: () => undefined };
}

/**
 * Runs `fn` against the research service registered on a gRPC server (plaintext on loopback:
 * these tests are about the handlers' status codes; mTLS is tested in the rpc package and e2e),
 * backed by a Serper provider talking to a local fake that expects `fakeKey`, and stops it all.
 */
export async function withResearchServer(
  opts: { fakeKey: string; apiKey?: string; cache?: Cache<TopicPages> },
  fn: (client: ResearchServiceClient, fake: FakeSearchApi, logs: string[]) => Promise<void>,
): Promise<void> {
  const fake = await FakeSearchApi.start('serper', opts.fakeKey);
  const provider = new SerperProvider({
    apiKey: () => opts.apiKey ?? opts.fakeKey,
    baseUrl: fake.baseUrl,
    reputation: new Reputation(),
    maxPages: 3,
    cacheTtlMs: 60_000,
    cacheMaxEntries: 100,
    http: { timeoutMs: 3000, backoffMs: 1 },
  });
  const { lines, logger } = capture();
  const server = new Server();
  const cache = opts.cache ?? createCache<TopicPages>({ namespace: 't', maxEntries: 100, ttlMs: 60_000 });
  registerResearch(server, { provider, logger, defaultLimit: 10, cache, cacheTtlMs: 60_000 });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const client = new (loadProtos().research.ResearchService)(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as ResearchServiceClient;
  try {
    await fn(client, fake, lines);
  } finally {
    client.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    await provider.close();
    await fake.close();
  }
}
