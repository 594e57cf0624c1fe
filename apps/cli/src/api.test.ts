import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiError, authHeaders, resolveApiKey, verify } from './api.js';

test('the API key comes from --api-key-file, else STATS_AGENT_API_KEY, else nowhere', { timeout: 5000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-key-'));
  try {
    const file = join(dir, 'api-key');
    await writeFile(file, 'sk_dev_abc\n', { mode: 0o600 });
    assert.equal(await resolveApiKey({ apiKeyFile: file }, { STATS_AGENT_API_KEY: 'sk_env_x' }), 'sk_dev_abc');
    assert.equal(await resolveApiKey({}, { STATS_AGENT_API_KEY: ' sk_env_x ' }), 'sk_env_x');
    assert.equal(await resolveApiKey({}, {}), undefined);
    await assert.rejects(resolveApiKey({ apiKeyFile: join(dir, 'nope') }), /no such file/);
    await writeFile(file, 'two keys\n');
    await assert.rejects(resolveApiKey({ apiKeyFile: file }), /one API key on one line/);
    assert.deepEqual(authHeaders('sk_a'), { authorization: 'Bearer sk_a' });
    assert.deepEqual(authHeaders(undefined), {});
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('verify sends the key as a Bearer header; a 401 without a key says how to get one', { timeout: 5000 }, async () => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.setHeader('content-type', 'application/json');
    if (req.headers.authorization !== 'Bearer sk_dev_ok') {
      res.statusCode = 401;
      res.end(JSON.stringify({ error: { code: 'auth_required', message: 'authentication required', request_id: 'r' } }));
      return;
    }
    res.end(JSON.stringify({ results: [], verified_count: 0, failed_count: 0 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const ok = await verify(url, [], 2000, authHeaders('sk_dev_ok'));
    assert.equal(ok.parsed.verified_count, 0);
    assert.equal(seen[0]?.authorization, 'Bearer sk_dev_ok');
    await assert.rejects(verify(url, [], 2000), (e: unknown) => e instanceof ApiError && e.status === 401 && /STATS_AGENT_API_KEY/.test(e.message));
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
