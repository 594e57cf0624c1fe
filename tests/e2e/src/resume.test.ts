import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchTeam, type Team } from '@stats-agent/launcher';
import { logLines } from './helpers.js';

// Kill the orchestrator with SIGKILL in the middle of a run, start it again, and check that the
// run goes on from its last finished step, repeats no finished agent call, and ends with the
// result an uninterrupted run gives. The corpus server answers slowly so the kill lands mid-run.

const INPUT = { topic: 'renewable energy', min_verified_stats: 100, max_candidates: 300 };
const LEASE_MS = 2_000;

interface RunView {
  run_id: string;
  status: string;
  attempts: number;
  progress: { round: number; stage: string } | null;
  result: Record<string, unknown> | null;
  links: { self: string; events: string };
}

let team: Team;

async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${team.orchestratorUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${team.apiKey}`, 'content-type': 'application/json', ...init.headers },
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const finished = (id: string) => async (): Promise<RunView | undefined> => {
  const { body } = await api<RunView>(`/v1/runs/${id}`);
  return body.status === 'succeeded' || body.status === 'failed' || body.status === 'dead' ? body : undefined;
};

/** The result without the fields that differ between two runs of the same request (clock times). */
function comparable(result: Record<string, unknown> | null): unknown {
  return JSON.parse(JSON.stringify(result, (k, v: unknown) => (k === 'timestamp' || k === 'date_found' || k === 'fetched_at' ? '' : v))) as unknown;
}

describe('kill the orchestrator mid-run and resume', { timeout: 240_000 }, () => {
  before(async () => {
    team = await launchTeam({
      ports: 'auto',
      corpusLatencyMs: 120,
      // The test polls its runs often: a rate limit of its own.
      env: { SOURCES_PER_ROUND: '3', MAX_ROUNDS: '5', RUN_LEASE_MS: String(LEASE_MS), RUN_SWEEP_MS: '200', RATE_LIMIT_PER_MINUTE: '60000', RATE_LIMIT_BURST: '1000' },
    });
  }, { timeout: 120_000 });
  after(async () => {
    await team?.stop();
  }, { timeout: 60_000 });

  test('the resumed run repeats no finished step and ends with the uninterrupted result', { timeout: 180_000 }, async () => {
    // The uninterrupted reference.
    const ref = await api<RunView>('/v1/runs', { method: 'POST', body: JSON.stringify(INPUT) });
    assert.equal(ref.status, 202);
    const reference = await until('the reference run', finished(ref.body.run_id));
    assert.equal(reference.status, 'succeeded');

    // The same request again; SIGKILL the orchestrator once round 2 is under way.
    const created = await api<RunView>('/v1/runs', { method: 'POST', body: JSON.stringify(INPUT) });
    const id = created.body.run_id;
    await until('round 2 to start', async () => {
      const { body } = await api<RunView>(`/v1/runs/${id}`);
      return body.progress && body.progress.round >= 2 ? body : undefined;
    });
    const killedAt = Date.now();
    const code = await team.restart('orchestration', 'SIGKILL');
    const readyAt = Date.now();
    assert.equal(code, 'SIGKILL');

    const resumed = await until('the run to be resumed', async () => {
      const { body } = await api<RunView>(`/v1/runs/${id}`);
      return body.attempts >= 2 && body.status === 'running' ? body : body.status === 'succeeded' ? body : undefined;
    });
    const resumedAt = Date.now();
    const done = await until('the resumed run to finish', finished(id));
    const doneAt = Date.now();
    assert.equal(done.status, 'succeeded');
    assert.ok(resumed.attempts >= 2, 'the run was claimed again after the kill');
    assert.deepEqual(comparable(done.result), comparable(reference.result));

    // No finished agent call was made again: each search window, extraction and verification of
    // this run was executed once by its agent (a repeat would have been answered from the
    // agent's idempotency cache, and logged as such, not executed).
    const ofRun = (service: string, msg: string) => logLines(team, service).filter((l) => l['request_id'] === id && l.msg === msg);
    const searches = ofRun('research', 'search done').map((l) => l['offset']);
    assert.equal(new Set(searches).size, searches.length, `no search window twice: ${JSON.stringify(searches)}`);
    const extractions = ofRun('synthesis', 'extraction done').length;
    const rounds = logLines(team, 'research').filter((l) => l['request_id'] === ref.body.run_id && l.msg === 'search done').length;
    assert.equal(extractions, rounds, 'one extraction per round, as in the uninterrupted run');

    const report = {
      kill_to_ready_ms: readyAt - killedAt,
      kill_to_resumed_ms: resumedAt - killedAt,
      kill_to_done_ms: doneAt - killedAt,
      lease_ms: LEASE_MS,
      rounds,
    };
    await writeFile(join(team.runDir, 'resume-timing.json'), JSON.stringify(report));
    process.stdout.write(`# resume after SIGKILL: ${JSON.stringify(report)}\n`);
  });
});
