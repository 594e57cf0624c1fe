import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { createRateLimiter, createRedisClient } from './rate-limit.js';

// A real redis-server, started here on a free loopback port without persistence.
const REDIS = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/sbin']
  .map((dir) => join(dir, 'redis-server'))
  .find((p) => existsSync(p));
const skip = REDIS ? false : 'redis-server is not installed (apt-get install redis-server); the shared-bucket test needs a real one';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitReady(client: Redis): Promise<void> {
  const until = Date.now() + 10_000;
  while (client.status !== 'ready') {
    if (Date.now() > until) throw new Error(`redis client not ready (${client.status})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('rate limiting shared through a real Redis', { timeout: 30_000, skip }, () => {
  let server: ChildProcess | undefined;
  let port = 0;
  const clients: Redis[] = [];
  let exited: Promise<unknown> = Promise.resolve();

  before(async () => {
    port = await freePort();
    server = spawn(REDIS as string, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    exited = new Promise((r) => server?.once('exit', r));
    const probe = createRedisClient(`redis://127.0.0.1:${port}`);
    probe.on('error', () => undefined);
    await waitReady(probe);
    probe.disconnect();
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    server?.kill('SIGTERM');
    await exited;
  });

  const client = (): Redis => {
    const c = createRedisClient(`redis://127.0.0.1:${port}`, { timeoutMs: 300 });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };

  test('two limiter instances (two replicas) share one bucket per principal', async () => {
    const a = createRateLimiter({ perMinute: 6, burst: 2, redis: client(), keyPrefix: 'test-shared' });
    const b = createRateLimiter({ perMinute: 6, burst: 2, redis: client(), keyPrefix: 'test-shared' });
    await waitReady(clients[0] as Redis);
    await waitReady(clients[1] as Redis);
    const seen = [await a.consume('carol'), await b.consume('carol'), await a.consume('carol'), await b.consume('carol'), await a.consume('carol')];
    assert.deepEqual(seen.map((d) => d.allowed), [true, true, true, false, false], 'three points in all, whichever replica took them');
    assert.ok(seen.every((d) => !d.degraded));
    assert.equal((await b.consume('dave')).allowed, true);
  });

  test('when Redis goes away the limiter falls back to memory (still limiting) and reports it', async () => {
    const errors: Error[] = [];
    const c = client();
    await waitReady(c);
    const rl = createRateLimiter({ perMinute: 6, burst: 1, redis: c, keyPrefix: 'test-down', onStoreError: (e) => errors.push(e) });
    assert.equal((await rl.consume('erin')).degraded, false);
    server?.kill('SIGTERM');
    await exited;
    const after = [await rl.consume('erin'), await rl.consume('erin'), await rl.consume('erin')];
    assert.ok(after.every((d) => d.degraded));
    assert.deepEqual(after.map((d) => d.allowed), [true, true, false], 'the memory fallback limits on its own');
    assert.equal(errors.length, 3);
  });
});
