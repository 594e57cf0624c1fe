import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { after, afterEach, before, test } from 'node:test';
import { createLogger, SecretScrubber, type Logger } from '@stats-agent/logging';
import { TestCa } from '@stats-agent/spiffe/testing';
import { loadSecrets, SecretsError, type Env, type Secrets } from './index.js';
import { FakeVault, type FakeVaultOptions } from './testing.js';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6c3RhdHMtYWdlbnQ6cmVzZWFyY2gifQ.c2lnbmF0dXJl';
const SECRET_ID = '6a1b3c5d-0e2f-4a6b-8c9d-secret-id-value';
const ROLE_ID = 'role-id-research-1234';
const SERPER_V1 = 'serper-live-key-version-one';
const SERPER_V2 = 'serper-live-key-version-two';
const OPENAI = 'sk-openai-test-value-abcdef';
const PATH = 'stats-agent/research';

let dir = '';
let jwtFile = '';
let secretIdFile = '';
const open: Array<{ close(): Promise<void> }> = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vault-test-'));
  jwtFile = join(dir, 'token');
  secretIdFile = join(dir, 'secret-id');
  await writeFile(jwtFile, `${JWT}\n`);
  await writeFile(secretIdFile, `${SECRET_ID}\n`);
});
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Logs {
  logger: Logger;
  lines: string[];
}

/** A logger whose scrubber knows nothing: whatever the secrets package logs is seen raw. */
function logs(): Logs {
  const lines: string[] = [];
  const logger = createLogger({
    service: 'test',
    level: 'debug',
    scrubber: new SecretScrubber(),
    destination: new Writable({
      write(c: Buffer, _e, cb) {
        lines.push(...c.toString().split('\n').filter(Boolean));
        cb();
      },
    }),
  });
  return { logger, lines };
}

async function fakeVault(opts: FakeVaultOptions = {}): Promise<FakeVault> {
  const fake = await FakeVault.start(opts);
  open.push(fake);
  fake.kubernetesRoles.set('research', JWT);
  fake.approles.set(ROLE_ID, SECRET_ID);
  fake.put('secret', PATH, { SERPER_API_KEY: SERPER_V1, OPENAI_API_KEY: OPENAI });
  return fake;
}

function k8sEnv(fake: FakeVault, extra: Env = {}): Env {
  return { VAULT_ADDR: fake.addr, VAULT_AUTH: 'kubernetes', VAULT_ROLE: 'research', VAULT_K8S_JWT_FILE: jwtFile, VAULT_SECRET_PATH: PATH, ...extra };
}

const DECLARE = [{ name: 'SERPER_API_KEY' }, { name: 'OPENAI_API_KEY', required: false }];

async function load(env: Env, log?: Logs, refreshIntervalMs = 0): Promise<Secrets> {
  const s = await loadSecrets({ env, declare: DECLARE, logger: log?.logger, scrubber: false, refreshIntervalMs });
  open.unshift(s); // closed before the fake
  return s;
}

async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function failure(p: Promise<unknown>): Promise<SecretsError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SecretsError, `not a SecretsError: ${inspect(err)}`);
    return err;
  }
  assert.fail('expected a SecretsError');
}

/** Nothing secret anywhere in the error: message, stack, own properties, inspect output, JSON. */
function assertClean(err: unknown, secrets: readonly string[]): void {
  const views = [inspect(err, { depth: 20, showHidden: true }), JSON.stringify(err), String((err as Error).stack), String((err as Error).message)];
  for (const s of secrets) for (const v of views) assert.ok(!v.includes(s), `leaked ${s.slice(0, 12)}… in ${v}`);
}

function assertLogsClean(l: Logs, secrets: readonly string[]): void {
  for (const line of l.lines) for (const s of secrets) assert.ok(!line.includes(s), `leaked ${s.slice(0, 12)}… in log line ${line}`);
}

test('kubernetes login then KV v2 read, with the real node-vault client and Vault shapes', { timeout: 10_000 }, async () => {
  const fake = await fakeVault();
  const stray = process.env['VAULT_TOKEN'];
  process.env['VAULT_TOKEN'] = 'hvs.stray-token-from-the-process-environment';
  const l = logs();
  try {
    const s = await load(k8sEnv(fake), l);
    assert.equal(s.provider, 'vault');
    assert.equal(s.get('SERPER_API_KEY'), SERPER_V1);
    assert.equal(s.get('OPENAI_API_KEY'), OPENAI);
    const [login, read] = fake.requests;
    assert.equal(login?.method, 'POST');
    assert.equal(login?.path, '/v1/auth/kubernetes/login', 'the mount is always passed (node-vault would post to /auth//login)');
    assert.deepEqual(login?.body, { role: 'research', jwt: JWT }, 'the JWT file is read and its newline trimmed');
    assert.equal(login?.token, undefined, 'no token (not even process.env.VAULT_TOKEN) on the login');
    assert.equal(read?.path, `/v1/secret/data/${PATH}`);
    assert.equal(read?.token, fake.loginTokens[0]);
    assert.ok(s.values().includes(fake.loginTokens[0] ?? '-'), 'the token is offered for log scrubbing');
    assert.ok(s.values().includes(JWT));
    assertLogsClean(l, [JWT, fake.loginTokens[0] ?? '-', SERPER_V1, OPENAI]);
    assert.ok(l.lines.some((x) => x.includes('secrets: logged in to Vault')));
  } finally {
    if (stray === undefined) delete process.env['VAULT_TOKEN'];
    else process.env['VAULT_TOKEN'] = stray;
  }
});

test('approle login on a custom mount with the secret id from a file', { timeout: 10_000 }, async () => {
  const fake = await fakeVault();
  fake.authMounts.set('approle-prod', 'approle');
  const l = logs();
  const s = await load({ VAULT_ADDR: fake.addr, VAULT_AUTH: 'approle', VAULT_AUTH_MOUNT: 'approle-prod', VAULT_ROLE_ID: ROLE_ID, VAULT_SECRET_ID_FILE: secretIdFile, VAULT_SECRET_PATH: PATH }, l);
  assert.equal(s.get('SERPER_API_KEY'), SERPER_V1);
  const login = fake.requests[0];
  assert.equal(login?.path, '/v1/auth/approle-prod/login');
  assert.deepEqual(login?.body, { role_id: ROLE_ID, secret_id: SECRET_ID });
  assert.ok(s.values().includes(SECRET_ID));
  assertLogsClean(l, [SECRET_ID, fake.loginTokens[0] ?? '-', SERPER_V1]);
});

test('token auth: the token from a file is looked up, then used for reads', { timeout: 10_000 }, async () => {
  const fake = await fakeVault();
  const token = fake.issueToken(0, false); // a token without TTL never expires: no renewal
  const file = join(dir, 'vault-token');
  await writeFile(file, `${token}\n`);
  const s = await load({ VAULT_ADDR: fake.addr, VAULT_TOKEN_FILE: file, VAULT_SECRET_PATH: PATH });
  assert.equal(s.get('SERPER_API_KEY'), SERPER_V1);
  assert.deepEqual(
    fake.requests.map((r) => [r.method, r.path, r.token === token]),
    [
      ['GET', '/v1/auth/token/lookup-self', true],
      ['GET', `/v1/secret/data/${PATH}`, true],
    ],
  );
  assert.equal(s.status().tokenExpiresAt, undefined);
});

test('the token is renewed with renew-self before it expires', { timeout: 15_000 }, async () => {
  const fake = await fakeVault({ tokenTtlSeconds: 3 });
  const l = logs();
  const s = await load(k8sEnv(fake), l);
  const first = s.status().tokenExpiresAt;
  await waitFor(() => fake.seen('POST', '/v1/auth/token/renew-self').length > 0, 'a renewal');
  const renew = fake.seen('POST', '/v1/auth/token/renew-self')[0];
  // The fake answers 403 to an expired token: 200 means it was renewed in time.
  assert.equal(renew?.status, 200);
  assert.equal(renew?.token, fake.loginTokens[0]);
  await waitFor(() => (s.status().tokenExpiresAt ?? 0) > (first ?? 0), 'the new expiry');
  assert.equal(fake.loginTokens.length, 1, 'no second login while renewal works');
  assertLogsClean(l, [JWT, fake.loginTokens[0] ?? '-']);
});

test('renewal refused → logs in again, and reads continue with the new token', { timeout: 15_000 }, async () => {
  const fake = await fakeVault({ tokenTtlSeconds: 2 });
  fake.refuseRenewal = true;
  fake.echoCredentials = true; // the 403 body repeats the token: the warning must not
  const l = logs();
  const s = await load(k8sEnv(fake), l, 100);
  await waitFor(() => fake.loginTokens.length >= 2, 'a second login');
  const [t1, t2] = fake.loginTokens;
  assert.notEqual(t1, t2);
  assert.ok(fake.seen('POST', '/v1/auth/token/renew-self').some((r) => r.status === 403));
  await waitFor(() => fake.seen('GET', `/v1/secret/data/${PATH}`).some((r) => r.token === t2 && r.status === 200), 'a read with the new token');
  assert.equal(s.get('SERPER_API_KEY'), SERPER_V1);
  assert.ok(l.lines.some((x) => x.includes('renewal failed; logging in again')));
  assertLogsClean(l, [JWT, t1 ?? '-', t2 ?? '-', SERPER_V1]);
});

test('a token that is not renewable is replaced by logging in again (no renew-self)', { timeout: 15_000 }, async () => {
  const fake = await fakeVault({ tokenTtlSeconds: 2, renewable: false });
  await load(k8sEnv(fake));
  await waitFor(() => fake.loginTokens.length >= 2, 'a second login');
  assert.equal(fake.seen('POST', '/v1/auth/token/renew-self').length, 0);
});

test('near the max TTL (renewal grants less than a third of the lease) → logs in again', { timeout: 15_000 }, async () => {
  const fake = await fakeVault({ tokenTtlSeconds: 3, maxTtlSeconds: 4 });
  await load(k8sEnv(fake));
  await waitFor(() => fake.loginTokens.length >= 2, 'a second login');
  assert.ok(fake.seen('POST', '/v1/auth/token/renew-self').length >= 1, 'renewed while it could');
});

test('a rotated KV secret (new version) is picked up by the refresh; the old value stays scrubbable', { timeout: 10_000 }, async () => {
  const fake = await fakeVault();
  const l = logs();
  const s = await load(k8sEnv(fake), l, 50);
  const changes: string[][] = [];
  s.onChange((c) => changes.push(c.names));
  fake.put('secret', PATH, { SERPER_API_KEY: SERPER_V2, OPENAI_API_KEY: OPENAI });
  await waitFor(() => s.get('SERPER_API_KEY') === SERPER_V2, 'the new version');
  assert.deepEqual(changes[0], ['SERPER_API_KEY']);
  assert.ok(s.values().includes(SERPER_V1) && s.values().includes(SERPER_V2));
  const rotated = l.lines.map((x) => JSON.parse(x) as Record<string, unknown>).find((x) => x['msg'] === 'secrets: new Vault secret version');
  assert.equal(rotated?.['version'], 2);
  assertLogsClean(l, [SERPER_V1, SERPER_V2, JWT]);
});

test('permission denied: a clean SecretsError with the status, no token, JWT or value — even when Vault echoes them', { timeout: 10_000 }, async () => {
  const fake = await fakeVault();
  fake.deniedPaths.add(`secret/${PATH}`);
  fake.echoCredentials = true;
  const err = await failure(load(k8sEnv(fake)));
  assert.equal(err.code, 'SECRETS_ERR_VAULT_READ');
  assert.equal(err.status, 403);
  assert.match(err.message, /^secrets: vault read secret\/data\/stats-agent\/research: HTTP 403: permission denied/);
  assert.ok(fake.requests[1]?.status === 403);
  assertClean(err, [fake.loginTokens[0] ?? '-', JWT, SERPER_V1, 'hvs.']);
  assert.equal((err as { cause?: unknown }).cause, undefined, 'the AxiosError is not kept as cause');
});

test('a refused login (wrong JWT, wrong secret id) names the mount, not the credential', { timeout: 10_000 }, async () => {
  const fake = await fakeVault();
  fake.echoCredentials = true;
  fake.kubernetesRoles.set('research', 'a-different-jwt');
  const k8s = await failure(load(k8sEnv(fake)));
  assert.equal(k8s.code, 'SECRETS_ERR_VAULT_AUTH');
  assert.equal(k8s.status, 403);
  assert.match(k8s.message, /auth\/kubernetes\/login: HTTP 403: permission denied/);
  assertClean(k8s, [JWT]);
  fake.approles.set(ROLE_ID, 'another-secret-id');
  const approle = await failure(load({ VAULT_ADDR: fake.addr, VAULT_AUTH: 'approle', VAULT_ROLE_ID: ROLE_ID, VAULT_SECRET_ID_FILE: secretIdFile, VAULT_SECRET_PATH: PATH }));
  assert.equal(approle.code, 'SECRETS_ERR_VAULT_AUTH');
  assert.equal(approle.status, 400);
  assert.match(approle.message, /invalid role or secret ID/);
  assertClean(approle, [SECRET_ID]);
});

test('sealed Vault (503): SECRETS_ERR_VAULT_UNAVAILABLE saying so, no credential', { timeout: 10_000 }, async () => {
  const fake = await fakeVault();
  fake.sealed = true;
  const err = await failure(load(k8sEnv(fake)));
  assert.equal(err.code, 'SECRETS_ERR_VAULT_UNAVAILABLE');
  assert.equal(err.status, 503);
  assert.match(err.message, /HTTP 503 \(sealed or in maintenance\): Vault is sealed/);
  assertClean(err, [JWT]);
});

test('sealed during a refresh: the last values keep being served, the warning carries no token; recovery after unseal', { timeout: 10_000 }, async () => {
  const fake = await fakeVault();
  const l = logs();
  const s = await load(k8sEnv(fake), l, 50);
  fake.sealed = true;
  await waitFor(() => s.status().refreshFailing, 'a failed refresh');
  assert.equal(s.get('SERPER_API_KEY'), SERPER_V1);
  assert.ok(l.lines.some((x) => x.includes('refresh failed; keeping the previous values') && x.includes('Vault is sealed')));
  fake.sealed = false;
  fake.put('secret', PATH, { SERPER_API_KEY: SERPER_V2 });
  await waitFor(() => s.get('SERPER_API_KEY') === SERPER_V2 && !s.status().refreshFailing, 'recovery');
  assert.equal(s.get('OPENAI_API_KEY'), undefined, 'an optional field removed in the new version is gone');
  assertLogsClean(l, [JWT, fake.loginTokens[0] ?? '-', SERPER_V1, SERPER_V2, OPENAI]);
});

test('unreachable Vault: ECONNREFUSED in a clean error; nothing of the login body', { timeout: 10_000 }, async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const err = await failure(load({ VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_ROLE: 'research', VAULT_K8S_JWT_FILE: jwtFile, VAULT_SECRET_PATH: PATH }));
  assert.equal(err.code, 'SECRETS_ERR_VAULT_UNAVAILABLE');
  assert.match(err.message, /^secrets: vault login auth\/kubernetes\/login: .*ECONNREFUSED/);
  assertClean(err, [JWT, 'X-Vault-Token', 'config']);
});

test('a Vault that never answers hits the deadline (VAULT_TIMEOUT_MS)', { timeout: 10_000 }, async () => {
  const fake = await fakeVault();
  fake.hangPrefix = '/v1/secret/';
  const err = await failure(load(k8sEnv(fake, { VAULT_TIMEOUT_MS: '300' })));
  assert.equal(err.code, 'SECRETS_ERR_VAULT_UNAVAILABLE');
  assert.match(err.message, /vault read secret\/data\/stats-agent\/research: /);
  assert.match(err.message, /(no answer within 300 ms|timeout of 300ms exceeded)/);
  assertClean(err, [fake.loginTokens[0] ?? '-', JWT]);
});

test('a missing secret (404) and a missing required field are named', { timeout: 10_000 }, async () => {
  const fake = await fakeVault();
  const notFound = await failure(load(k8sEnv(fake, { VAULT_SECRET_PATH: 'stats-agent/nothing-here' })));
  assert.equal(notFound.code, 'SECRETS_ERR_VAULT_READ');
  assert.equal(notFound.status, 404);
  assert.match(notFound.message, /secret\/data\/stats-agent\/nothing-here: HTTP 404: not found/);
  fake.put('secret', PATH, { OPENAI_API_KEY: OPENAI });
  const missing = await failure(loadSecrets({ env: k8sEnv(fake), declare: [{ name: 'SERPER_API_KEY' }, { name: 'GEMINI_API_KEY' }, { name: 'OPENAI_API_KEY' }], scrubber: false }));
  assert.equal(missing.code, 'SECRETS_ERR_MISSING');
  assert.deepEqual(missing.problems, [
    'SERPER_API_KEY is required: missing in Vault at secret/data/stats-agent/research field SERPER_API_KEY',
    'GEMINI_API_KEY is required: missing in Vault at secret/data/stats-agent/research field GEMINI_API_KEY',
  ]);
  assertClean(missing, [OPENAI]);
});

test('TLS: process.env.VAULT_SKIP_VERIFY does not switch verification off; only the development opt-in does', { timeout: 15_000 }, async () => {
  const ca = await TestCa.create({ trustDomain: 'vault-test.local' });
  const leaf = await ca.mintSvid({ spiffeId: 'spiffe://vault-test.local/vault' });
  const fake = await FakeVault.start({ tls: { cert: leaf.certChainPem, key: leaf.privateKeyPem } });
  open.push(fake);
  fake.kubernetesRoles.set('research', JWT);
  fake.put('secret', PATH, { SERPER_API_KEY: SERPER_V1 });
  const before = process.env['VAULT_SKIP_VERIFY'];
  process.env['VAULT_SKIP_VERIFY'] = 'true'; // node-vault alone would turn verification off
  try {
    const err = await failure(load(k8sEnv(fake)));
    assert.equal(err.code, 'SECRETS_ERR_VAULT_UNAVAILABLE');
    assert.match(err.message, /(SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|certificate)/i);
    assert.equal(fake.requests.length, 0, 'no request reached the untrusted server');
    // Control: with the explicit development opt-in the same server is reached.
    const dev = await load(k8sEnv(fake, { NODE_ENV: 'development', VAULT_SKIP_VERIFY: 'true' }));
    assert.equal(dev.get('SERPER_API_KEY'), SERPER_V1);
    assert.equal(fake.requests.length, 2);
  } finally {
    if (before === undefined) delete process.env['VAULT_SKIP_VERIFY'];
    else process.env['VAULT_SKIP_VERIFY'] = before;
  }
});

test('close() stops renewal and refresh: no request after it', { timeout: 10_000 }, async () => {
  const fake = await fakeVault({ tokenTtlSeconds: 1 });
  const s = await load(k8sEnv(fake), undefined, 50);
  await s.close();
  const n = fake.requests.length;
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(fake.requests.length, n);
  await assert.rejects(s.refresh(), (e: unknown) => e instanceof SecretsError && e.code === 'SECRETS_ERR_CLOSED');
});
