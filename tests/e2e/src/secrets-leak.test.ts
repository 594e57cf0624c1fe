// Issue 4 item 8: a run of the whole team with known secret values, after which no log line —
// and no audit record — contains any of them (as they are, base64, base64url or URL-encoded).
// The secrets are really used: the LLM key (a *_FILE mount, rotated mid-run) is sent to a local
// fake of the OpenAI API by synthesis, the audit HMAC key keys every service's chain, the
// development API key authenticates requests, wrong keys and a token-shaped string are refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { status, type Client } from '@grpc/grpc-js';
import { readHead, verifyAudit, type AuditRecord } from '@stats-agent/audit';
import { launchTeam, SCRIPTS, type Team } from '@stats-agent/launcher';
import { DOCUMENT_CLOSE, DOCUMENT_OPEN } from '@stats-agent/llm';
import { openAiAnswer, startFakeLlm, statisticsJson, type FakeLlmServer, type FakeStatistic, type RecordedRequest } from '@stats-agent/llm/testing';
import { loadProtos, type VerificationServiceClient } from '@stats-agent/proto';
import { callUnary, createAgentClient, isGrpcCallError } from '@stats-agent/rpc';
import { serviceSpiffeId } from '@stats-agent/runtime';
import { authorizeId, createX509Source } from '@stats-agent/spiffe';
import { orchestrate } from './helpers.js';

const hex = (n: number) => randomBytes(n).toString('hex');
// Known values, random per run so that nothing else can contain them by chance.
const OPENAI_KEY = `sk-proj-LEAK${hex(20)}`;
const OPENAI_KEY_ROTATED = `sk-proj-ROT${hex(20)}`;
// Base64 with + / = so that its URL-encoded form differs from it.
const AUDIT_HMAC_KEY = `${randomBytes(30).toString('base64')}+/=`;
const SERPER_KEY = `serper${hex(16)}`; // in every process's environment, loaded by none (SEARCH_PROVIDER=local)
const FORGED_KEY = `sk_dev_${randomBytes(32).toString('base64url')}`;
const FAKE_JWT = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.${randomBytes(24).toString('base64url')}`;

let team: Team;
let fake: FakeLlmServer;
let keyDir: string;
let keyFile: string;

/**
 * The fake model "extracts" the first sentence of the page that states a percentage, so the
 * candidates it returns really stand in their page and verification has work to do.
 */
function answer(req: RecordedRequest): FakeStatistic[] {
  const messages = (req.body as { messages?: Array<{ role: string; content: string }> } | undefined)?.messages ?? [];
  const user = messages.find((m) => m.role === 'user')?.content ?? '';
  const doc = user.slice(user.indexOf(DOCUMENT_OPEN), user.lastIndexOf(DOCUMENT_CLOSE));
  const m = /[A-Z][^.\n]*?\b(\d+(?:\.\d+)?)\s?%[^.\n]*\./.exec(doc.split('\n\n').slice(1).join('\n\n'));
  return m ? [{ name: 'Share', excerpt: m[0], value: Number(m[1]), unit: '%' }] : [];
}

before(async () => {
  keyDir = await mkdtemp(join(tmpdir(), 'leak-keys-'));
  keyFile = join(keyDir, 'openai');
  await writeFile(keyFile, `${OPENAI_KEY}\n`, { mode: 0o600 });
  fake = await startFakeLlm((req) => ({ body: openAiAnswer(statisticsJson(answer(req))) }));
  team = await launchTeam({
    ports: 'auto',
    keepRunDir: true,
    readyTimeoutMs: 60_000,
    env: {
      LLM_PROVIDER: 'openai',
      LLM_BASE_URL: `${fake.url}/v1`,
      OPENAI_API_KEY_FILE: keyFile,
      SECRETS_REFRESH_INTERVAL_MS: '500',
      AUDIT_HMAC_KEY,
      SERPER_API_KEY: SERPER_KEY,
      // Debug lines too: the most a log could say.
      LOG_LEVEL: 'debug',
    },
  });
}, { timeout: 90_000 });

after(async () => {
  await team?.stop(10_000);
  await fake?.close();
  if (team) await rm(team.runDir, { recursive: true, force: true });
  if (keyDir) await rm(keyDir, { recursive: true, force: true });
}, { timeout: 60_000 });

/** Every file under `dir`, recursively, as [path, content]. */
async function filesUnder(dir: string): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out.push([path, await readFile(path, 'utf8')]);
  }
  return out;
}

/** A value as it could appear in a log: itself, base64, base64url, URL-encoded (once, twice), and its last 16 characters (a truncated "preview"). */
function forms(value: string): string[] {
  const b = Buffer.from(value, 'utf8');
  return [value, b.toString('base64'), b.toString('base64url'), encodeURIComponent(value), encodeURIComponent(encodeURIComponent(value)), value.slice(-16)];
}

async function auditRecords(file: string): Promise<AuditRecord[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as AuditRecord);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('no secret in any log', { timeout: 120_000 }, () => {
  test('a team run with known secrets: searches, verify, failed auth, a forbidden mTLS call and a key rotation leave no secret in logs or audit records; every audit log verifies', async () => {
    const auditDir = join(team.runDir, 'audit');

    // 1. A search: synthesis extracts through the fake OpenAI API with the key from the file.
    const first = await orchestrate(team, { topic: 'renewable energy', min_verified_stats: 1, max_candidates: 10 });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.ok(fake.requests.length > 0, 'synthesis called the LLM');
    assert.ok(fake.requests.every((r) => r.headers.authorization === `Bearer ${OPENAI_KEY}`), 'with the key from OPENAI_API_KEY_FILE');

    // 2. /v1/verify with the key in x-api-key.
    const stats = first.body['statistics'] as Array<Record<string, unknown>>;
    const candidate = stats[0] ?? { name: 'x', value: 1, unit: '%', source: 's', source_url: `${team.corpusUrl}/`, excerpt: 'nothing 1%' };
    const verify = await fetch(`${team.orchestratorUrl}/v1/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': team.apiKey },
      body: JSON.stringify({ candidates: [{ name: candidate['name'], value: candidate['value'], unit: candidate['unit'], source: candidate['source'], source_url: candidate['source_url'], excerpt: candidate['excerpt'] }] }),
    });
    assert.equal(verify.status, 200);

    // 3. Refused credentials: a forged key (the dev key's id, a wrong secret), a token-shaped string, a key in the query.
    const refusedHeaders: Array<Record<string, string>> = [{ 'x-api-key': FORGED_KEY }, { authorization: `Bearer ${FORGED_KEY}` }, { authorization: `Bearer ${FAKE_JWT}` }];
    for (const headers of refusedHeaders) {
      const r = await fetch(`${team.orchestratorUrl}/v1/orchestrate`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"topic":"solar"}' });
      assert.equal(r.status, 401);
      await r.arrayBuffer();
    }
    const inQuery = await fetch(`${team.orchestratorUrl}/v1/orchestrate?api_key=${encodeURIComponent(FORGED_KEY)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"topic":"solar"}' });
    assert.equal(inQuery.status, 401);
    await inQuery.arrayBuffer();

    // 4. A forbidden mTLS call: research's SVID calling verification.
    const source = await createX509Source({ socketPath: team.endpoint('research') });
    const client = createAgentClient(loadProtos().verification.VerificationService, {
      target: `127.0.0.1:${team.ports.grpc.verification}`,
      source,
      authorizer: authorizeId(serviceSpiffeId('verification')),
    }) as VerificationServiceClient & Client;
    try {
      const candidateMsg = { name: 'x', value: 1, unit: '', source: 's', source_url: `${team.corpusUrl}/`, excerpt: 'x', period: '', relevance: 0 };
      await assert.rejects(callUnary(client.Verify, client, { candidates: [candidateMsg] }, { timeoutMs: 3000, requestId: 'leak-denied-1' }), (err) => isGrpcCallError(err) && err.code === status.PERMISSION_DENIED);
    } finally {
      client.close();
      await source.close();
    }

    // 5. Rotate the LLM key file: synthesis records secret.rotated and uses the new key at once.
    await writeFile(keyFile, `${OPENAI_KEY_ROTATED}\n`);
    await waitFor('secret.rotated in the synthesis audit log', async () =>
      (await auditRecords(join(auditDir, 'synthesis.audit.log'))).find((r) => r.action === 'secret.rotated') ? true : undefined,
    );
    const seen = fake.requests.length;
    const second = await orchestrate(team, { topic: 'electricity prices', min_verified_stats: 1, max_candidates: 10 });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const later = fake.requests.slice(seen);
    assert.ok(later.length > 0 && later.every((r) => r.headers.authorization === `Bearer ${OPENAI_KEY_ROTATED}`), 'the rotated key is used');

    // Stop the team: every log and audit record is on disk, every audit log closed.
    const codes = await team.stop(15_000);
    for (const [name, code] of Object.entries(codes)) assert.equal(code, 0, `${name} exit code`);

    // No secret in any file of logs/ or audit/, in any form.
    const secrets: Record<string, string> = {
      'the development API key': team.apiKey,
      'the development API key (secret part)': team.apiKey.slice(team.apiKey.lastIndexOf('_') + 1),
      'the LLM key': OPENAI_KEY,
      'the rotated LLM key': OPENAI_KEY_ROTATED,
      'the audit HMAC key': AUDIT_HMAC_KEY,
      'an unused provider key in the environment': SERPER_KEY,
      'a forged API key': FORGED_KEY,
      'a forged key (secret part)': FORGED_KEY.slice('sk_dev_'.length),
      'a token-shaped bearer': FAKE_JWT,
    };
    const files = [...(await filesUnder(team.logDir)), ...(await filesUnder(auditDir))];
    assert.ok(files.length >= 10, `logs and audit files: ${files.map(([p]) => p).join(', ')}`);
    for (const [path, text] of files) {
      for (const [what, value] of Object.entries(secrets)) {
        for (const form of forms(value)) assert.ok(!text.includes(form), `${what} (${form === value ? 'as is' : 'encoded'}) appears in ${path}`);
      }
    }
    // The logs did say what happened (so the absence above means something).
    const orchLog = files.find(([p]) => p.endsWith('orchestration.log'))?.[1] ?? '';
    assert.match(orchLog, /request refused at the edge/);

    // Every audit log verifies against its head, with the key; each service recorded its part.
    const expected: Record<string, (r: AuditRecord[]) => boolean> = {
      orchestration: (r) =>
        r.some((x) => x.action === 'auth.success' && x.actor.kind === 'api_key' && x.actor.id === 'dev') &&
        r.filter((x) => x.action === 'auth.failure').length >= 4 &&
        r.every((x) => x.action !== 'auth.failure' || x.outcome === 'failure'),
      synthesis: (r) =>
        r.some((x) => x.action === 'secret.loaded' && x.resource === 'secret:OPENAI_API_KEY') && r.some((x) => x.action === 'secret.rotated' && x.resource === 'secret:OPENAI_API_KEY'),
      verification: (r) =>
        r.some(
          (x) =>
            x.action === 'mtls.denied' &&
            x.actor.kind === 'spiffe' &&
            x.actor.id === serviceSpiffeId('research') &&
            x.resource === 'rpc:/stats.verification.v1.VerificationService/Verify' &&
            x.outcome === 'denied' &&
            x.request_id === 'leak-denied-1',
        ),
      research: (r) => r.some((x) => x.action === 'audit.started'),
    };
    for (const [service, check] of Object.entries(expected)) {
      const file = join(auditDir, `${service}.audit.log`);
      const records = await auditRecords(file);
      assert.ok(records.length > 0, `${service} wrote audit records`);
      assert.ok(records.every((r) => r.alg === 'hmac-sha256'), `${service}: keyed chain`);
      assert.ok(check(records), `${service}: expected actions, got ${[...new Set(records.map((r) => r.action))].join(', ')}`);
      const v = await verifyAudit({ file }, { head: await readHead(`${file}.head`), hmacKey: AUDIT_HMAC_KEY, firstSegment: true });
      assert.equal(v.ok, true, `${service}: ${JSON.stringify(v.problems)}`);
      assert.equal(v.last_seq, records.at(-1)?.seq, `${service}: the head matches the file`);
      // Without the key the chain does not verify: it is keyed, not merely hashed.
      assert.equal((await verifyAudit({ file }, { firstSegment: true }).catch(() => ({ ok: false }))).ok, false, `${service}: needs the key`);
    }
  });
});

test('synthesis without its LLM key exits 1 naming the variable, and its audit log records secret.load_failed', { timeout: 30_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'leak-nokey-'));
  try {
    const file = join(dir, 'synthesis.audit.log');
    const r = spawnSync(process.execPath, [SCRIPTS.synthesis], {
      env: { PATH: process.env['PATH'], SPIFFE_ENDPOINT_SOCKET: 'unix:///nonexistent/stats-agent/agent.sock', GRPC_PORT: '0', ADMIN_PORT: '0', LLM_PROVIDER: 'anthropic', AUDIT_LOG_FILE: file, AUDIT_HMAC_KEY },
      encoding: 'utf8',
      timeout: 25_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /ANTHROPIC_API_KEY is required: set ANTHROPIC_API_KEY or ANTHROPIC_API_KEY_FILE/);
    assert.ok(!r.stderr.includes(AUDIT_HMAC_KEY));
    const records = await auditRecords(file);
    assert.deepEqual(records.map((x) => x.action), ['audit.started', 'secret.load_failed']);
    assert.deepEqual(records[1]?.actor, { kind: 'system', id: 'synthesis' });
    const v = await verifyAudit({ file }, { head: await readHead(`${file}.head`), hmacKey: AUDIT_HMAC_KEY, firstSegment: true });
    assert.equal(v.ok, true, JSON.stringify(v.problems));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
