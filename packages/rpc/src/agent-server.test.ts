import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { status, type Client, type Server } from '@grpc/grpc-js';
import { createLogger } from '@stats-agent/logging';
import { createMetrics } from '@stats-agent/metrics';
import { loadProtos, type ResearchServiceClient, type SearchResponse, type SearchResponse__Output } from '@stats-agent/proto';
import { authorizeId, authorizeMemberOf, createX509Source, type X509Source } from '@stats-agent/spiffe';
import { DevWorkloadApiServer } from '@stats-agent/spiffe/testing';
import { z } from 'zod';
import { bindMtls, callUnary, createAgentClient, createAgentServer, HealthService, isGrpcCallError, isServing, RpcError, unary, type DeniedCall } from './index.js';

const TD = 'rpc.test';
const ID = {
  orch: `spiffe://${TD}/ns/t/sa/orchestration`,
  research: `spiffe://${TD}/ns/t/sa/research`,
  other: `spiffe://${TD}/ns/t/sa/other`,
};

const lines: Array<Record<string, unknown>> = [];
const logger = createLogger({
  service: 'rpc-test',
  level: 'debug',
  destination: new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  }),
});

let dir: string;
let dev: DevWorkloadApiServer;
let serverSource: X509Source;
const sources: X509Source[] = [];
let server: Server;
let port: number;
let invocations = 0;
let flakyFailures = 1;
const denied: DeniedCall[] = [];
const metrics = createMetrics('rpc-test');

const schema = z.object({ topic: z.string().min(1, 'topic is required'), limit: z.number().int(), offset: z.number().int(), reputable_only: z.boolean() });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rpc-test-'));
  dev = await DevWorkloadApiServer.start({ trustDomain: TD, socketDir: join(dir, 'spire'), workloads: { orch: ID.orch, research: ID.research, other: ID.other } });
  serverSource = await createX509Source({ socketPath: dev.socketPath('research') });
  server = createAgentServer({
    logger,
    metrics,
    policy: {
      '/stats.research.v1.ResearchService/Search': authorizeId(ID.orch),
      '/grpc.health.v1.Health/Check': authorizeMemberOf(TD),
    },
    onDenied: (d) => {
      denied.push(d);
      if (d.requestId === 'deny-hook-throws') throw new Error('audit hook broke');
    },
  });
  server.addService(loadProtos().health.Health.service, new HealthService(['stats.research.v1.ResearchService']).handlers());
  server.addService(loadProtos().research.ResearchService.service, {
    Search: unary(
      'research.Search',
      schema,
      async (req, ctx): Promise<SearchResponse> => {
        if (req.topic === 'boom') throw new Error('secret internal detail at /srv/x');
        if (req.topic === 'refuse') throw new RpcError('TEST_ERR_REFUSED', status.FAILED_PRECONDITION, 'research: refused on purpose');
        invocations++;
        if (req.topic === 'slow') await new Promise((r) => setTimeout(r, 200));
        if (req.topic === 'flaky' && flakyFailures-- > 0) throw new RpcError('TEST_ERR_FLAKY', status.UNAVAILABLE, 'research: flaky');
        return { sources: [], total: invocations, provider: `${ctx.caller?.toString()}|${ctx.requestId}` };
      },
      { logger },
    ),
  });
  port = await bindMtls(server, '127.0.0.1', 0, serverSource);
}, { timeout: 20_000 });

after(async () => {
  server?.forceShutdown();
  for (const s of sources) await s.close();
  await serverSource?.close();
  await dev?.close();
  await rm(dir, { recursive: true, force: true });
}, { timeout: 20_000 });

async function clientAs(workload: 'orch' | 'other'): Promise<ResearchServiceClient & Client> {
  const source = await createX509Source({ socketPath: dev.socketPath(workload) });
  sources.push(source);
  return createAgentClient(loadProtos().research.ResearchService, {
    target: `127.0.0.1:${port}`,
    source,
    authorizer: authorizeId(ID.research),
    metrics,
  }) as ResearchServiceClient & Client;
}

const code = (err: unknown) => (isGrpcCallError(err) ? status[err.code] : String(err));
const call = (c: ResearchServiceClient & Client, topic: string, requestId = 'req-1', idempotencyKey?: string): Promise<SearchResponse__Output> =>
  callUnary(c.Search, c, { topic, limit: 1, offset: 0, reputable_only: false }, { timeoutMs: 5000, requestId, ...(idempotencyKey ? { idempotencyKey } : {}) });

describe('agent server', { timeout: 30_000 }, () => {
  test('the authorized caller is served and sees its own SPIFFE ID and request id', async () => {
    const c = await clientAs('orch');
    const res = await call(c, 'energy', 'trace-7');
    assert.equal(res.provider, `${ID.orch}|trace-7`);
    c.close();
  });

  test('another workload of the trust domain gets PERMISSION_DENIED and a log line naming it', async () => {
    const c = await clientAs('other');
    await assert.rejects(call(c, 'energy', 'deny-1'), (err) => code(err) === 'PERMISSION_DENIED');
    const refusal = lines.find((l) => l['msg'] === 'call refused by SPIFFE authorization' && l['request_id'] === 'deny-1');
    assert.equal(refusal?.['caller'], ID.other);
    assert.equal(refusal?.['method'], '/stats.research.v1.ResearchService/Search');
    // Health is open to any member of the trust domain.
    assert.equal(await isServing(c, { timeoutMs: 5000, requestId: 'h' }), true);
    c.close();
  });

  test('onDenied is told of each refusal (method, caller, code, request id); a throwing hook still refuses the call', async () => {
    const c = await clientAs('other');
    await assert.rejects(call(c, 'energy', 'deny-hook-1'), (err) => code(err) === 'PERMISSION_DENIED');
    const seen = denied.find((d) => d.requestId === 'deny-hook-1');
    assert.ok(seen, 'the hook saw the refusal');
    assert.deepEqual({ ...seen, peer: typeof seen.peer }, { method: '/stats.research.v1.ResearchService/Search', caller: ID.other, code: 'PERMISSION_DENIED', peer: 'string', requestId: 'deny-hook-1' });
    const before = invocations;
    await assert.rejects(call(c, 'energy', 'deny-hook-throws'), (err) => code(err) === 'PERMISSION_DENIED');
    assert.equal(invocations, before, 'the handler never ran');
    assert.ok(lines.some((l) => l['msg'] === 'onDenied hook failed'));
    // An allowed call is not reported.
    const ok = await clientAs('orch');
    await call(ok, 'energy', 'allowed-hook-1');
    assert.ok(!denied.some((d) => d.requestId === 'allowed-hook-1'));
    ok.close();
    c.close();
  });

  test('a method missing from the policy is refused for everyone', async () => {
    const c = await clientAs('orch');
    await assert.rejects(
      new Promise((resolve, reject) => {
        const watch = loadProtos().health.Health.service.Watch;
        const stream = c.makeServerStreamRequest(watch.path, watch.requestSerialize, watch.responseDeserialize, { service: '' });
        stream.on('data', resolve);
        stream.on('error', reject);
      }),
      (err) => code(err) === 'PERMISSION_DENIED',
    );
    c.close();
  });

  test('invalid requests get INVALID_ARGUMENT naming the field', async () => {
    const c = await clientAs('orch');
    await assert.rejects(call(c, ''), (err) => code(err) === 'INVALID_ARGUMENT' && /topic: topic is required/.test((err as Error).message));
    c.close();
  });

  test('handler errors: RpcError keeps its status, anything else is INTERNAL without detail', async () => {
    const c = await clientAs('orch');
    await assert.rejects(call(c, 'refuse'), (err) => code(err) === 'FAILED_PRECONDITION' && /refused on purpose/.test((err as Error).message));
    await assert.rejects(call(c, 'boom', 'boom-1'), (err) => code(err) === 'INTERNAL' && !(err as Error).message.includes('/srv/x'));
    assert.ok(lines.some((l) => l['msg'] === 'handler failed' && l['request_id'] === 'boom-1'));
    c.close();
  });

  test('a repeated call with the same idempotency key gets the first answer without redoing the work', async () => {
    const c = await clientAs('orch');
    const before = invocations;
    const first = await call(c, 'energy', 'r1', 'run-1:1:research');
    const again = await call(c, 'energy', 'r2', 'run-1:1:research');
    assert.equal(invocations, before + 1);
    assert.deepEqual(again, first);
    // Concurrent repeats share one execution.
    const [a, b] = await Promise.all([call(c, 'slow', 'r3', 'k-slow'), call(c, 'slow', 'r4', 'k-slow')]);
    assert.equal(invocations, before + 2);
    assert.equal(a.total, b.total);
    // Another request under the same key, another key, or no key: new work.
    await call(c, 'water', 'r5', 'run-1:1:research');
    await call(c, 'energy', 'r6', 'run-1:2:research');
    await call(c, 'energy', 'r7');
    await call(c, 'energy', 'r8');
    assert.equal(invocations, before + 6);
    // A failure is not remembered: the retry runs again and succeeds.
    await assert.rejects(call(c, 'flaky', 'r9', 'k-flaky'), (e: unknown) => code(e) === 'UNAVAILABLE');
    const retried = await call(c, 'flaky', 'r10', 'k-flaky');
    assert.equal(retried.total, invocations);
    c.close();
  });

  test('calls are counted by method and code', async () => {
    const text = await metrics.registry.metrics();
    assert.match(text, /grpc_server_handled_total\{method="\/stats.research.v1.ResearchService\/Search",code="OK",service="rpc-test"\} [1-9]/);
    assert.match(text, /grpc_server_handled_total\{method="\/stats.research.v1.ResearchService\/Search",code="PERMISSION_DENIED",service="rpc-test"\} [1-9]/);
    assert.match(text, /spiffe_authz_denied_total\{method="\/stats.research.v1.ResearchService\/Search",service="rpc-test"\} [1-9]/);
    assert.match(text, /grpc_client_handled_total\{method="\/stats.research.v1.ResearchService\/Search",code="OK",service="rpc-test"\} [1-9]/);
  });
});
