import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { credentials, status, type Client } from '@grpc/grpc-js';
import { launchTeam, REPO_ROOT, SCRIPTS, type Team } from '@stats-agent/launcher';
import { loadProtos, type VerificationServiceClient, type ResearchServiceClient } from '@stats-agent/proto';
import { callUnary, createAgentClient, isGrpcCallError } from '@stats-agent/rpc';
import { serviceSpiffeId } from '@stats-agent/runtime';
import { authorizeId, createX509Source, type X509Source } from '@stats-agent/spiffe';
import { TestCa } from '@stats-agent/spiffe/testing';
import { logLines, orchestrate, waitForLog } from './helpers.js';

let team: Team;

before(async () => {
  team = await launchTeam({ ports: 'auto', readyTimeoutMs: 60_000 });
}, { timeout: 90_000 });

after(async () => {
  await team?.stop(10_000);
}, { timeout: 60_000 });

const grpcCode = (err: unknown): string => (isGrpcCallError(err) ? status[err.code] ?? String(err.code) : `not a gRPC error: ${String(err)}`);

describe('the launched team', { timeout: 240_000 }, () => {
  test('answers a search with verified statistics carrying source_url and excerpt', async () => {
    const r = await orchestrate(team, { topic: 'renewable energy', min_verified_stats: 3 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const stats = r.body['statistics'] as Array<Record<string, unknown>>;
    assert.ok(stats.length >= 1, 'at least one verified statistic');
    for (const s of stats) {
      assert.equal(s['verified'], true);
      assert.match(String(s['source_url']), /^http:\/\/127\.0\.0\.1:\d+\//);
      assert.ok(String(s['excerpt']).length > 10);
      const v = s['verification'] as Record<string, unknown>;
      assert.equal(v['verifier'], serviceSpiffeId('verification'));
      assert.match(String(v['text_sha256']), /^[0-9a-f]{64}$/);
      // The excerpt really stands where the verifier says, in the page as served.
      assert.equal(typeof v['excerpt_start'], 'number');
    }
    assert.equal(r.body['verified_count'], stats.length);
  });

  test('reputable_only keeps only statistics from publishers in a reputation tier', async () => {
    const sample = join(REPO_ROOT, 'packages/corpus/sample');
    const manifest = JSON.parse(readFileSync(join(sample, 'index.json'), 'utf8')) as Array<{ publisher: string; domain: string }>;
    const tiers = JSON.parse(readFileSync(join(sample, 'reputation.json'), 'utf8')) as { tiers: Array<{ domains: string[] }> };
    const reputableDomains = new Set(tiers.tiers.flatMap((t) => t.domains));
    const reputable = new Set(manifest.filter((m) => reputableDomains.has(m.domain)).map((m) => m.publisher));
    const r = await orchestrate(team, { topic: 'electricity prices', min_verified_stats: 5, reputable_only: true });
    assert.equal(r.status, 200);
    const stats = r.body['statistics'] as Array<{ source: string }>;
    assert.ok(stats.length > 0);
    for (const s of stats) assert.ok(reputable.has(s.source), `${s.source} is not a reputable sample publisher`);
    const all = await orchestrate(team, { topic: 'electricity prices', min_verified_stats: 5 });
    assert.ok((all.body['statistics'] as Array<{ source: string }>).some((s) => !reputable.has(s.source)), 'without the flag, others appear too');
  });

  test('statistics in a PDF report are found, verified and located like any page', async () => {
    const r = await orchestrate(team, { topic: 'offshore wind capacity', min_verified_stats: 5 });
    assert.equal(r.status, 200);
    const stats = r.body['statistics'] as Array<{ source_url: string; value: number; unit: string; excerpt: string; verification: { excerpt_start: number; text_sha256: string } }>;
    const fromPdf = stats.filter((s) => s.source_url.endsWith('/energy/offshore-wind-report-2023.pdf'));
    assert.ok(fromPdf.length >= 3, JSON.stringify(stats.map((s) => s.source_url)));
    const capacity = fromPdf.find((s) => s.value === 75.2 && s.unit === 'GW');
    assert.ok(capacity, JSON.stringify(fromPdf.map((s) => [s.value, s.unit])));
    assert.match(capacity.excerpt, /installed worldwide reached 75\.2 GW at the end of 2023/);
    assert.ok(capacity.verification.excerpt_start >= 0 && capacity.verification.text_sha256.length === 64);
  });

  test('erasing a subject deletes its runs and makes the research agent forget its topics, over mTLS', async () => {
    const auth = { authorization: `Bearer ${team.apiKey}`, 'content-type': 'application/json' };
    const created = await fetch(`${team.orchestratorUrl}/v1/runs`, { method: 'POST', headers: auth, body: JSON.stringify({ topic: 'household size', min_verified_stats: 2 }) });
    assert.equal(created.status, 202);
    const { run_id: id } = (await created.json()) as { run_id: string };
    for (let i = 0; i < 200; i++) {
      const v = (await (await fetch(`${team.orchestratorUrl}/v1/runs/${id}`, { headers: auth })).json()) as { status: string };
      if (v.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const erased = await fetch(`${team.orchestratorUrl}/v1/subjects/${encodeURIComponent('api_key:dev')}`, { method: 'DELETE', headers: auth });
    assert.equal(erased.status, 200);
    const body = (await erased.json()) as { erased: { runs: number }; cache: { reached: boolean; topics: number } };
    assert.ok(body.erased.runs >= 1);
    assert.deepEqual([body.cache.reached, body.cache.topics >= 1], [true, true]);
    assert.equal((await fetch(`${team.orchestratorUrl}/v1/runs/${id}`, { headers: auth })).status, 404);
    assert.ok(await waitForLog(team, 'research', (l) => l.msg === 'topics forgotten'), 'the research agent forgot the topics');
  });

  test('POST /v1/verify re-checks candidates in their sources: a tampered value or excerpt fails', async () => {
    const found = await orchestrate(team, { topic: 'urban population growth', min_verified_stats: 1 });
    const stat = (found.body['statistics'] as Array<Record<string, unknown>>)[0];
    assert.ok(stat, 'a statistic to re-check');
    const candidate = { name: stat['name'], value: stat['value'], unit: stat['unit'], source: stat['source'], source_url: stat['source_url'], excerpt: stat['excerpt'] };
    const res = await fetch(`${team.orchestratorUrl}/v1/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${team.apiKey}` },
      body: JSON.stringify({
        candidates: [
          candidate,
          { ...candidate, value: Number(candidate.value) * 3 + 1 },
          { ...candidate, excerpt: 'A sentence that is on no page at all, 42%.' },
          { ...candidate, source_url: `${team.corpusUrl}/no/such/page.html` },
        ],
      }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { results: Array<{ verified: boolean; reason: string }>; verified_count: number; failed_count: number };
    assert.deepEqual(body.results.map((r) => r.reason), ['verified', 'value_mismatch', 'excerpt_not_found', 'source_unreachable']);
    assert.equal(body.verified_count, 1);
    assert.equal(body.failed_count, 3);
  });

  test('the API needs the launch\'s development key: 401 without it or with a forged one; the key file is private; no key is logged', async () => {
    const none = await fetch(`${team.orchestratorUrl}/v1/orchestrate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"topic":"solar"}' });
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="stats-agent"');
    const forged = `sk_dev_${'A'.repeat(43)}`;
    const bad = await fetch(`${team.orchestratorUrl}/v1/orchestrate`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': forged }, body: '{"topic":"solar"}' });
    assert.equal(bad.status, 401);
    assert.equal((statSync(team.apiKeyFile).mode & 0o777).toString(8), '600');
    assert.equal(readFileSync(team.apiKeyFile, 'utf8').trim(), team.apiKey);
    assert.ok(!readFileSync(join(team.runDir, 'api-keys.json'), 'utf8').includes(team.apiKey.slice(7)), 'only the hash is in the keys file');
    const refused = await waitForLog(team, 'orchestration', (l) => l.msg === 'request refused at the edge' && l['reason'] === 'bad_secret');
    assert.equal(refused?.['key_id'], 'dev');
    assert.ok(!logLines(team, 'orchestration').some((l) => JSON.stringify(l).includes('A'.repeat(43))), 'the presented key is never logged');
  });

  test('a request id travels from the HTTP edge to every agent', async () => {
    const res = await fetch(`${team.orchestratorUrl}/v1/orchestrate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'e2e-trace-42', authorization: `Bearer ${team.apiKey}` },
      body: JSON.stringify({ topic: 'life expectancy', min_verified_stats: 1 }),
    });
    assert.equal(res.status, 200);
    for (const svc of ['research', 'synthesis', 'verification']) {
      const line = await waitForLog(team, svc, (l) => l['request_id'] === 'e2e-trace-42' && l.service === svc);
      assert.ok(line, `${svc} logged the request id`);
    }
  });

  test('a plaintext client is refused', async () => {
    const p = loadProtos();
    const client = new p.research.ResearchService(`127.0.0.1:${team.ports.grpc.research}`, credentials.createInsecure()) as ResearchServiceClient;
    try {
      await assert.rejects(
        callUnary(client.Search, client, { topic: 'x' }, { timeoutMs: 3000, requestId: 'plain' }),
        (err) => ['UNAVAILABLE', 'INTERNAL'].includes(grpcCode(err)),
      );
    } finally {
      client.close();
    }
  });

  test('a client whose certificate comes from another trust domain is refused', async () => {
    const evil = await TestCa.create({ trustDomain: 'evil.example' });
    const svid = await evil.mintSvid({ spiffeId: 'spiffe://evil.example/ns/stats-agent/sa/orchestration' });
    const teamCa = readFileSync(join(team.caDir, 'ca.pem'));
    const creds = credentials.createSsl(teamCa, Buffer.from(svid.privateKeyPem), Buffer.from(svid.certChainPem), {
      // The server is genuine; only our certificate is foreign.
      checkServerIdentity: () => undefined,
    });
    const p = loadProtos();
    const client = new p.research.ResearchService(`127.0.0.1:${team.ports.grpc.research}`, creds, {
      'grpc.ssl_target_name_override': 'spiffe-workload',
    }) as ResearchServiceClient;
    try {
      await assert.rejects(
        callUnary(client.Search, client, { topic: 'x' }, { timeoutMs: 3000, requestId: 'evil' }),
        (err) => grpcCode(err) === 'UNAVAILABLE',
      );
    } finally {
      client.close();
    }
  });

  test('a valid SVID with the wrong SPIFFE ID (research calling verification) gets PERMISSION_DENIED', async () => {
    let source: X509Source | undefined;
    let client: (VerificationServiceClient & Client) | undefined;
    try {
      source = await createX509Source({ socketPath: team.endpoint('research') });
      assert.equal(source.getX509Svid().id.toString(), serviceSpiffeId('research'));
      client = createAgentClient(loadProtos().verification.VerificationService, {
        target: `127.0.0.1:${team.ports.grpc.verification}`,
        source,
        authorizer: authorizeId(serviceSpiffeId('verification')),
      }) as VerificationServiceClient & Client;
      const candidate = { name: 'x', value: 1, unit: '', source: 's', source_url: `${team.corpusUrl}/`, excerpt: 'x', period: '', relevance: 0 };
      await assert.rejects(
        callUnary(client.Verify, client, { candidates: [candidate] }, { timeoutMs: 3000, requestId: 'wrong-id-1' }),
        (err) => grpcCode(err) === 'PERMISSION_DENIED',
      );
      const refusal = await waitForLog(team, 'verification', (l) => l.msg === 'call refused by SPIFFE authorization' && l['request_id'] === 'wrong-id-1');
      assert.ok(refusal, 'verification logged the refusal');
      assert.equal(refusal['caller'], serviceSpiffeId('research'));
      assert.equal(refusal['method'], '/stats.verification.v1.VerificationService/Verify');
    } finally {
      client?.close();
      await source?.close();
    }
  });

  test('the server identity is checked: a client expecting another SPIFFE ID does not talk to it', async () => {
    const source = await createX509Source({ socketPath: team.endpoint('orchestration') });
    const client = createAgentClient(loadProtos().research.ResearchService, {
      target: `127.0.0.1:${team.ports.grpc.research}`,
      source,
      authorizer: authorizeId(serviceSpiffeId('verification')),
    }) as ResearchServiceClient & Client;
    try {
      await assert.rejects(
        callUnary(client.Search, client, { topic: 'x' }, { timeoutMs: 3000, requestId: 'wrong-server' }),
        (err) => grpcCode(err) === 'UNAVAILABLE',
      );
    } finally {
      client.close();
      await source.close();
    }
  });

  test('admin ports answer healthz, readyz and metrics', async () => {
    for (const [svc, port] of Object.entries(team.ports.admin)) {
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200, svc);
      assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200, svc);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, new RegExp(`service="${svc}"`));
    }
    const m = await (await fetch(`http://127.0.0.1:${team.ports.admin.verification}/metrics`)).text();
    assert.match(m, /spiffe_authz_denied_total\{method="\/stats.verification.v1.VerificationService\/Verify",service="verification"\} [1-9]/);
  });

  test('an agent that is down gives a 503 naming it, and readiness says so', async () => {
    const research = team.processes.find((p) => p.name === 'research');
    assert.ok(research);
    assert.equal(await research.stop(10_000), 0, 'research exits 0 on SIGTERM');
    const r = await orchestrate(team, { topic: 'renewable energy' });
    assert.equal(r.status, 503);
    assert.match(JSON.stringify(r.body), /research agent/);
    assert.ok(r.ms < 15_000, `answered in ${r.ms} ms`);
    assert.equal((await fetch(`http://127.0.0.1:${team.ports.admin.orchestration}/readyz`)).status, 503);
  });

  test('every other process stops cleanly on SIGTERM', async () => {
    const codes = await team.stop(15_000);
    for (const [name, code] of Object.entries(codes)) assert.equal(code, 0, `${name} exit code`);
  });
});

test('an agent without a Workload API socket exits with a message saying what to start', { timeout: 30_000 }, () => {
  const r = spawnSync(process.execPath, [SCRIPTS.research], {
    env: { PATH: process.env['PATH'], SPIFFE_ENDPOINT_SOCKET: 'unix:///nonexistent/stats-agent/agent.sock', GRPC_PORT: '0', ADMIN_PORT: '0' },
    encoding: 'utf8',
    timeout: 25_000,
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /nonexistent\/stats-agent\/agent\.sock/);
  assert.match(r.stderr, /stats-agent-spiffe-dev serve|SPIFFE agent/);
  const unset = spawnSync(process.execPath, [SCRIPTS.research], { env: { PATH: process.env['PATH'] }, encoding: 'utf8', timeout: 25_000 });
  assert.equal(unset.status, 2);
  assert.match(unset.stderr, /SPIFFE_ENDPOINT_SOCKET: is not set/);
});
