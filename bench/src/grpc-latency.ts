#!/usr/bin/env node
/**
 * Latency of one unary gRPC call between two agents over a reused channel: mTLS with SPIFFE
 * SVIDs (as the agents run) beside the same call over plaintext, in one run, in alternating
 * blocks so that machine noise hits both alike. Plaintext exists here only, as the baseline.
 *
 *   pnpm bench            (CALLS=5000 BLOCK=250 to change the sample)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials, credentials, type Client, type ChannelCredentials } from '@grpc/grpc-js';
import { createLogger } from '@stats-agent/logging';
import { createMetrics } from '@stats-agent/metrics';
import { loadProtos, type HealthHandlers } from '@stats-agent/proto';
import { createAgentServer, isServing } from '@stats-agent/rpc';
import { authorizeId, createChannelCredentials, createServerCredentials, createX509Source } from '@stats-agent/spiffe';
import { DevWorkloadApiServer } from '@stats-agent/spiffe/testing';
import { machine, percentile, runBench, writeReport } from './machine.js';

const CALLS = Number(process.env['CALLS'] ?? 5000);
const BLOCK = Number(process.env['BLOCK'] ?? 250);
const WARMUP = 300;
const TD = 'stats-agent.local';
const ORCH = `spiffe://${TD}/ns/stats-agent/sa/orchestration`;
const RESEARCH = `spiffe://${TD}/ns/stats-agent/sa/research`;

const health: HealthHandlers = {
  Check: (_call, cb) => cb(null, { status: 'SERVING' }),
  Watch: (call) => call.end(),
};

async function serve(server: Server, creds: ServerCredentials): Promise<number> {
  server.addService(loadProtos().health.Health.service, health);
  return new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
}

function client(port: number, creds: ChannelCredentials): Client {
  // As the agents' clients do: a fixed TLS server name (the SPIFFE ID is what is checked).
  return new (loadProtos().health.Health)(`127.0.0.1:${port}`, creds, {
    'grpc.ssl_target_name_override': 'spiffe-workload',
  }) as unknown as Client;
}

async function timeCalls(c: Client, n: number, into?: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await isServing(c, { timeoutMs: 5000, requestId: 'bench' });
    into?.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
}

function summary(samples: number[]): Record<string, number> {
  const s = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { calls: s.length, p50_ms: r(percentile(s, 50)), p90_ms: r(percentile(s, 90)), p99_ms: r(percentile(s, 99)), max_ms: r(s[s.length - 1] ?? NaN), mean_ms: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-grpc-'));
  const dev = await DevWorkloadApiServer.start({ socketDir: join(dir, 'spire'), workloads: { orchestration: ORCH, research: RESEARCH } });
  const serverSource = await createX509Source({ socketPath: dev.socketPath('research') });
  const clientSource = await createX509Source({ socketPath: dev.socketPath('orchestration') });
  const quiet = createLogger({ service: 'bench', level: 'silent' });

  // 1. mTLS, bare server: the transport cost only.
  const mtlsServer = new Server();
  const mtlsPort = await serve(mtlsServer, createServerCredentials(serverSource));
  // 2. mTLS through the agents' own server (authorization + metrics interceptors).
  const agentServer = createAgentServer({ logger: quiet, metrics: createMetrics('bench'), policy: { '/grpc.health.v1.Health/Check': authorizeId(ORCH) } });
  const agentPort = await serve(agentServer, createServerCredentials(serverSource));
  // 3. Plaintext baseline.
  const plainServer = new Server();
  const plainPort = await serve(plainServer, ServerCredentials.createInsecure());

  const variants = {
    mtls: client(mtlsPort, createChannelCredentials(clientSource, authorizeId(RESEARCH))),
    mtls_with_authz_interceptors: client(agentPort, createChannelCredentials(clientSource, authorizeId(RESEARCH))),
    plaintext: client(plainPort, credentials.createInsecure()),
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (const c of Object.values(variants)) await timeCalls(c, WARMUP);
  for (let done = 0; done < CALLS; done += BLOCK) {
    for (const [name, c] of Object.entries(variants)) await timeCalls(c, Math.min(BLOCK, CALLS - done), samples[name]);
  }
  const results = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summary(v)]));
  const ratio = (a: string, b: string, f: string) => Math.round(((results[a]?.[f] ?? NaN) / (results[b]?.[f] ?? NaN)) * 100) / 100;
  const report = {
    benchmark: 'unary gRPC call (grpc.health.v1.Health/Check), one reused channel, sequential calls',
    machine: machine(),
    settings: { calls_per_variant: CALLS, block: BLOCK, warmup: WARMUP },
    results,
    ratios: {
      mtls_over_plaintext_p50: ratio('mtls', 'plaintext', 'p50_ms'),
      mtls_over_plaintext_p99: ratio('mtls', 'plaintext', 'p99_ms'),
      agent_server_over_plaintext_p50: ratio('mtls_with_authz_interceptors', 'plaintext', 'p50_ms'),
    },
  };
  for (const c of Object.values(variants)) c.close();
  for (const s of [mtlsServer, agentServer, plainServer]) s.forceShutdown();
  await clientSource.close();
  await serverSource.close();
  await dev.close();
  await rm(dir, { recursive: true, force: true });

  const rows = Object.entries(results).map(([k, r]) => `| ${k} | ${r['calls']} | ${r['p50_ms']} | ${r['p90_ms']} | ${r['p99_ms']} | ${r['max_ms']} | ${r['mean_ms']} |`);
  const md = [
    '# gRPC call latency: mTLS (SPIFFE) vs plaintext',
    '',
    `${report.benchmark}. Reproduce: \`pnpm bench\` (after \`pnpm build\`).`,
    '',
    '| variant | calls | p50 ms | p90 ms | p99 ms | max ms | mean ms |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `mTLS / plaintext: p50 ×${report.ratios.mtls_over_plaintext_p50}, p99 ×${report.ratios.mtls_over_plaintext_p99}; ` +
      `agent server (mTLS + authorization + metrics interceptors) / plaintext p50 ×${report.ratios.agent_server_over_plaintext_p50}.`,
    '',
  ].join('\n');
  await writeReport('grpc-latency', report, md);
}

runBench(main);
