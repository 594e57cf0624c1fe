import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchTeam, type Team } from '@stats-agent/launcher';
import { logLines, orchestrate } from './helpers.js';

// SVIDs live 6 s and are replaced every 2 s: over the minute every agent's identity changes
// about 30 times while calls keep flowing over the same long-lived channels. Servers also close
// connections older than 3 s (gracefully), so clients re-handshake with the rotated SVIDs
// mid-stream instead of riding one TLS session for the whole minute.
const SOAK_MS = Number(process.env['E2E_SOAK_MS'] ?? 60_000);
let team: Team;

before(async () => {
  team = await launchTeam({
    ports: 'auto',
    svidTtlSeconds: 6,
    rotateAfterSeconds: 2,
    // Calls go back to back for a minute: lift the per-key rate limit, which this test is not about.
    env: { GRPC_MAX_CONNECTION_AGE_MS: '3000', GRPC_MAX_CONNECTION_AGE_GRACE_MS: '5000', RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_BURST: '1000' },
  });
}, { timeout: 90_000 });

after(async () => {
  await team?.stop(10_000);
}, { timeout: 60_000 });

test('with SVIDs rotating every 2 s, a steady stream of calls over a minute loses none', { timeout: SOAK_MS + 120_000 }, async (t) => {
  const until = Date.now() + SOAK_MS;
  const failures: string[] = [];
  let calls = 0;
  // Two clients in parallel, back to back: each call crosses all three mTLS channels.
  const loop = async (n: number): Promise<void> => {
    const topics = ['solar power', 'urban population', 'inflation', 'internet access'];
    while (Date.now() < until) {
      const topic = topics[(calls + n) % topics.length] as string;
      calls++;
      try {
        const r = await orchestrate(team, { topic, min_verified_stats: 1, max_candidates: 5 });
        if (r.status !== 200) failures.push(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      } catch (err) {
        failures.push(String(err));
      }
    }
  };
  await Promise.all([loop(0), loop(1)]);
  t.diagnostic(`${calls} calls over ${SOAK_MS} ms`);
  assert.deepEqual(failures, [], `${failures.length} of ${calls} calls failed`);
  assert.ok(calls >= 20, `only ${calls} calls were made`);
  for (const svc of ['orchestration', 'research', 'synthesis', 'verification']) {
    const rotations = logLines(team, svc).filter((l) => l.msg === 'X509-SVID rotated').length;
    assert.ok(rotations >= Math.floor(SOAK_MS / 2000) - 3, `${svc} saw ${rotations} rotations`);
  }
});
