import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../testkit.js';
import { createX509Source } from '../x509-source.js';
import { TestCa } from './ca.js';
import { DevWorkloadApiServer } from './dev-server.js';

const T = { timeout: 20_000 };
const ID = 'spiffe://stats-agent.local/ns/agents/sa/research';

test('the socket folder is created mode 0700 and a stale socket is replaced', T, async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const socketDir = join(dir, 'run', 'spiffe');
    // A socket file left behind by a killed process (process.exit skips the unlink of close()).
    const stale = spawnSync(process.execPath, [
      '-e',
      `require('node:fs').mkdirSync(${JSON.stringify(socketDir)}, { recursive: true, mode: 0o700 });
       require('node:net').createServer().listen(${JSON.stringify(join(socketDir, 'research.sock'))}, () => process.exit(0));`,
    ]);
    assert.equal(stale.status, 0, String(stale.stderr));
    assert.ok(lstatSync(join(socketDir, 'research.sock')).isSocket());

    const dev = await DevWorkloadApiServer.start({ socketDir, workloads: { research: ID } });
    try {
      assert.equal(statSync(socketDir).mode & 0o777, 0o700);
      assert.equal(dev.socketPath('research'), join(socketDir, 'research.sock'));
      assert.equal(dev.endpoint('research'), `unix://${join(socketDir, 'research.sock')}`);
      assert.equal(dev.ca.trustDomain.name, 'stats-agent.local');
      const source = await createX509Source({ socketPath: dev.endpoint('research'), initialTimeoutMs: 5000 });
      assert.equal(source.getX509Svid().id.toString(), ID);
      await source.close();
      assert.throws(() => dev.socketPath('nobody'), /unknown workload/);
    } finally {
      await dev.close();
      await dev.close();
    }
    assert.ok(!existsSync(join(socketDir, 'research.sock')), 'close() removes the socket');
  } finally {
    await cleanup();
  }
});

test('start refuses bad options and never deletes a file that is not a socket', T, async () => {
  const { dir, cleanup } = await tempDir();
  try {
    writeFileSync(join(dir, 'research.sock'), 'not a socket');
    await assert.rejects(DevWorkloadApiServer.start({ socketDir: dir, workloads: { research: ID } }), /is not a socket/);
    assert.ok(existsSync(join(dir, 'research.sock')));

    const cases: Array<[Parameters<typeof DevWorkloadApiServer.start>[0], RegExp]> = [
      [{ socketDir: dir, workloads: {} }, /no workloads/],
      [{ socketDir: dir, workloads: { 'bad/name': ID } }, /workload name/],
      [{ socketDir: dir, workloads: { x: 'spiffe://other.example/x' } }, /not in trust domain stats-agent\.local/],
      [{ socketDir: dir, workloads: { x: 'spiffe://stats-agent.local/x/' } }, /trailing slash/],
      [{ socketDir: dir, workloads: { x: ID }, ttlSeconds: 10, rotateAfterSeconds: 20 }, /rotateAfterSeconds/],
      [{ socketDir: dir, workloads: { x: ID }, trustDomain: 'stats-agent.local', ca: await TestCa.create({ trustDomain: 'other.example' }) }, /CA is for trust domain other\.example/],
    ];
    for (const [opts, reason] of cases) {
      await assert.rejects(DevWorkloadApiServer.start(opts), reason);
    }
  } finally {
    await cleanup();
  }
});
