import { randomUUID } from 'node:crypto';
import type { Driver, Queryable, QueryParam, Row, StoreLogger } from './driver.js';
import { StoreError, toStoreError } from './errors.js';
import { boundedText, toJsonText } from './json.js';
import { migrate, type Migration, type MigrationResult } from './migrations.js';
import {
  DEAD_LETTER_STATES,
  FINAL_RUN_STATUSES,
  ITEM_STATUSES,
  STAGES,
  auditRow,
  deadLetterRow,
  eventRow,
  itemRow,
  parseRows,
  runRow,
  stepRow,
  type AuditRow,
  type DeadLetter,
  type DeadLetterState,
  type Item,
  type ItemStatus,
  type Run,
  type RunEvent,
  type RunStatus,
  type Stage,
  type Step,
} from './rows.js';

/** Items per `upsertItems` / `markItems` call. */
export const MAX_BATCH = 1_000;
/** Events one run may hold: an event log is bounded like everything else. */
export const MAX_EVENTS_PER_RUN = 10_000;
/** Longest lease: a lease is a heartbeat, not a reservation. */
export const MAX_LEASE_MS = 24 * 60 * 60 * 1000;
const AUDIT_LOCK_KEY = 727_170_502;

export interface NewRun {
  /** Defaults to `run_<uuid>`. */
  id?: string;
  /** The principal that asked for the run; only it can read it, and erasure deletes by it. */
  owner: string;
  workflowVersion: string;
  input: unknown;
  /** Create it already claimed (status `running`) instead of `queued`, so no other replica can take it first. */
  lease?: { owner: string; ms: number };
}

export interface ItemUpdate {
  key: string;
  status: ItemStatus;
  /** Why (for `failed`, or a retry back to `pending`); replaces the previous reason. */
  reason?: string | null;
  /** The verdict; kept when omitted. */
  verdict?: unknown;
}

export interface NewDeadLetter {
  kind: 'run' | 'item';
  runId: string;
  /** Required for `item`. */
  itemKey?: string;
  lastError: string;
  /** What an operator needs to decide (stage, agent, error code). Erased with the owner. */
  context?: Record<string, unknown>;
}

export interface DeadLetterFilter {
  state?: DeadLetterState;
  kind?: 'run' | 'item';
  owner?: string;
  runId?: string;
  /** Default 100, at most 1000. */
  limit?: number;
}

export interface NewAuditRecord {
  /** When given, it must be the next number of the chain. */
  seq?: number;
  hash: string;
  /** The hash of the record before it (null only for the first). Checked against the stored chain. */
  prevHash: string | null;
  record: unknown;
}

/** Rows deleted by erasure or retention, per table. */
export interface DeletedCounts {
  runs: number;
  steps: number;
  items: number;
  events: number;
  deadLetters: number;
}

export interface StoreOptions {
  logger?: StoreLogger;
  /** For tests: another list of migrations. */
  migrations?: readonly Migration[];
}

// ---- argument checks: a bad argument is a clear error, not a database error ----

function invalid(msg: string): StoreError {
  return new StoreError('STORE_ERR_INVALID_INPUT', `store: ${msg}`);
}
function text(v: unknown, name: string, max: number): string {
  if (typeof v !== 'string' || v.length === 0) throw invalid(`${name} must be a non-empty string`);
  if (v.length > max) throw invalid(`${name} is longer than ${max} characters`);
  return v;
}
function int(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalid(`${name} must be an integer from ${min} to ${max}`);
  return v;
}
function oneOf<T extends string>(v: unknown, name: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw invalid(`${name} must be one of ${allowed.join(', ')}`);
  return v as T;
}
const ID_MAX = 200;
const OWNER_MAX = 512;
const KEY_MAX = 512;
const STEP_KEY_MAX = 300;
const leaseMs = (v: unknown): number => int(v, 'leaseMs', 1, MAX_LEASE_MS);
const limitOf = (v: unknown, def: number, max: number): number => (v === undefined ? def : int(v, 'limit', 1, max));

const LEASE = `now() + ($LEASE::bigint * interval '1 millisecond')`;
const lease = (param: number): string => LEASE.replace('$LEASE', `$${param}`);
const FINAL = FINAL_RUN_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * The run store: execution history (runs → steps → items), the progress stream, dead letters
 * and audit records, over either driver with the same SQL. Every method is one transaction at
 * most; rows come back validated. Errors are StoreErrors (see errors.ts). `close()` must be
 * called (it closes the pool or PGlite and releases the directory lock).
 */
export class RunStore {
  private constructor(
    private readonly driver: Driver,
    /** The schema version and the migrations applied when it was opened. */
    readonly migration: MigrationResult,
  ) {}

  /** Migrates the database behind `driver` and returns the store. On failure the driver is closed. */
  static async open(driver: Driver, opts: StoreOptions = {}): Promise<RunStore> {
    try {
      const migrationOpts: { logger?: StoreLogger; migrations?: readonly Migration[] } = {};
      if (opts.logger !== undefined) migrationOpts.logger = opts.logger;
      if (opts.migrations !== undefined) migrationOpts.migrations = opts.migrations;
      const result = await migrate(driver, migrationOpts);
      return new RunStore(driver, result);
    } catch (err) {
      await driver.close().catch(() => undefined);
      throw toStoreError(err, 'open');
    }
  }

  /** `pglite` or `postgres`. */
  get kind(): Driver['kind'] {
    return this.driver.kind;
  }

  private async run<T>(what: string, fn: (q: Queryable) => Promise<T>): Promise<T> {
    try {
      return await fn(this.driver);
    } catch (err) {
      throw toStoreError(err, what);
    }
  }

  private async tx<T>(what: string, fn: (q: Queryable) => Promise<T>): Promise<T> {
    try {
      return await this.driver.transaction(fn);
    } catch (err) {
      throw toStoreError(err, what);
    }
  }

  private static one<T>(rows: T[]): T | null {
    return rows[0] ?? null;
  }

  /** Readiness: one round trip. Throws STORE_ERR_UNAVAILABLE when the database cannot answer. */
  async ping(): Promise<void> {
    await this.run('ping', (q) => q.query('SELECT 1'));
  }

  // ---------------------------------------------------------------- runs

  /** Creates a run (`queued`, or `running` under `lease`). Throws STORE_ERR_CONFLICT when the id exists. */
  async createRun(run: NewRun): Promise<Run> {
    const id = run.id === undefined ? `run_${randomUUID()}` : text(run.id, 'id', ID_MAX);
    const owner = text(run.owner, 'owner', OWNER_MAX);
    const version = text(run.workflowVersion, 'workflowVersion', 100);
    const input = toJsonText(run.input, 'input');
    const leaseOwner = run.lease === undefined ? null : text(run.lease.owner, 'lease.owner', ID_MAX);
    const ms = run.lease === undefined ? 1 : leaseMs(run.lease.ms);
    return this.run('createRun', async (q) => {
      const { rows } = await q.query(
        `INSERT INTO runs (id, owner, status, workflow_version, input, attempts, lease_owner, lease_expires_at, started_at)
         VALUES ($1, $2, $3, $4, $5::text::jsonb, $6,
                 $7::text, CASE WHEN $7::text IS NULL THEN NULL ELSE ${lease(8)} END,
                 CASE WHEN $7::text IS NULL THEN NULL ELSE now() END)
         RETURNING *`,
        [id, owner, leaseOwner === null ? 'queued' : 'running', version, input, leaseOwner === null ? 0 : 1, leaseOwner, ms],
      );
      return parseRows(runRow, rows, 'runs')[0] as Run;
    });
  }

  /** The run, or null when there is none — or when `owner` is given and is not its owner (a stranger learns nothing). */
  async getRun(id: string, owner?: string): Promise<Run | null> {
    text(id, 'id', ID_MAX);
    if (owner !== undefined) text(owner, 'owner', OWNER_MAX);
    return this.run('getRun', async (q) => {
      const { rows } = await q.query('SELECT * FROM runs WHERE id = $1 AND ($2::text IS NULL OR owner = $2::text)', [id, owner ?? null]);
      return RunStore.one(parseRows(runRow, rows, 'runs'));
    });
  }

  /** The owner's runs, newest first (default 50, at most 1000). */
  async listRuns(owner: string, opts: { limit?: number } = {}): Promise<Run[]> {
    text(owner, 'owner', OWNER_MAX);
    const limit = limitOf(opts.limit, 50, 1000);
    return this.run('listRuns', async (q) => {
      const { rows } = await q.query('SELECT * FROM runs WHERE owner = $1 ORDER BY created_at DESC, id DESC LIMIT $2', [owner, limit]);
      return parseRows(runRow, rows, 'runs');
    });
  }

  /**
   * Takes a `queued` run, or a `running` one whose lease has expired, for `leaseOwner` for
   * `leaseMs`; counts an attempt. Returns null when the run is missing, final, or leased to
   * someone whose lease is still valid. Lease times are the database's clock.
   */
  async claimRun(id: string, leaseOwner: string, ms: number): Promise<Run | null> {
    text(id, 'id', ID_MAX);
    text(leaseOwner, 'leaseOwner', ID_MAX);
    leaseMs(ms);
    return this.run('claimRun', async (q) => {
      const { rows } = await q.query(
        `UPDATE runs SET status = 'running', lease_owner = $2, lease_expires_at = ${lease(3)}, attempts = attempts + 1,
                started_at = coalesce(started_at, now()), updated_at = now()
         WHERE id = $1 AND (status = 'queued' OR (status = 'running' AND lease_expires_at <= now()))
         RETURNING *`,
        [id, leaseOwner, ms],
      );
      return RunStore.one(parseRows(runRow, rows, 'runs'));
    });
  }

  /**
   * Claims up to `limit` runs that need a worker: `queued` ones and `running` ones whose lease
   * expired (their process died — SIGKILL, OOM, a lost node), oldest first. On Postgres several
   * replicas may call this at once: `FOR UPDATE SKIP LOCKED` hands each run to one of them.
   * With `maxAttempts`, a run already claimed that many times is not claimed again but moved to
   * `dead` with a dead letter (a run that crashes its worker must not crash every worker in turn);
   * those are returned as `dead`.
   */
  async claimResumable(leaseOwner: string, ms: number, opts: { limit?: number; maxAttempts?: number } = {}): Promise<{ claimed: Run[]; dead: Run[] }> {
    text(leaseOwner, 'leaseOwner', ID_MAX);
    leaseMs(ms);
    const limit = limitOf(opts.limit, 10, 1000);
    const maxAttempts = opts.maxAttempts === undefined ? null : int(opts.maxAttempts, 'maxAttempts', 1, 1000);
    const pick = `status = 'queued' OR (status = 'running' AND lease_expires_at <= now())`;
    return this.tx('claimResumable', async (q) => {
      const dead: Run[] = [];
      if (maxAttempts !== null) {
        const { rows } = await q.query(
          `WITH d AS (
             SELECT id, lease_owner AS last_lease_owner, error AS previous_error FROM runs
             WHERE (${pick}) AND attempts >= $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
           UPDATE runs r SET status = 'dead', lease_owner = NULL, lease_expires_at = NULL, finished_at = now(), updated_at = now(),
                  error = jsonb_build_object('code', 'attempts_exhausted', 'message',
                          'the run was started ' || r.attempts || ' times without finishing', 'previous', d.previous_error)
           FROM d WHERE r.id = d.id
           RETURNING r.*, d.last_lease_owner`,
          [maxAttempts, limit],
        );
        for (const row of rows) {
          const run = parseRows(runRow, [row], 'runs')[0] as Run;
          await this.insertDeadLetter(q, {
            kind: 'run',
            runId: run.id,
            itemKey: null,
            owner: run.owner,
            attempts: run.attempts,
            lastError: `the run was started ${run.attempts} times without finishing (its worker stopped or failed each time)`,
            context: { reason: 'attempts_exhausted', workflow_version: run.workflowVersion, last_lease_owner: row['last_lease_owner'] ?? null },
          });
          dead.push(run);
        }
      }
      const { rows } = await q.query(
        `WITH c AS (SELECT id FROM runs WHERE ${pick} ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         UPDATE runs r SET status = 'running', lease_owner = $1, lease_expires_at = ${lease(2)}, attempts = r.attempts + 1,
                started_at = coalesce(r.started_at, now()), updated_at = now()
         FROM c WHERE r.id = c.id
         RETURNING r.*`,
        [leaseOwner, ms, limit],
      );
      const claimed = parseRows(runRow, rows, 'runs').sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      return { claimed, dead };
    });
  }

  /** Extends the lease; false when `leaseOwner` no longer holds the run (another worker took it over, or it finished) — stop working on it then. */
  async renewLease(id: string, leaseOwner: string, ms: number): Promise<boolean> {
    text(id, 'id', ID_MAX);
    text(leaseOwner, 'leaseOwner', ID_MAX);
    leaseMs(ms);
    return this.run('renewLease', async (q) => {
      const { rows } = await q.query(
        `UPDATE runs SET lease_expires_at = ${lease(3)}, updated_at = now() WHERE id = $1 AND status = 'running' AND lease_owner = $2 RETURNING id`,
        [id, leaseOwner, ms],
      );
      return rows.length === 1;
    });
  }

  /** Gives a running run back (`queued`, lease dropped) after a transient failure, keeping `error` for the record; false when the lease was lost. */
  async requeueRun(id: string, leaseOwner: string, error: unknown): Promise<boolean> {
    text(id, 'id', ID_MAX);
    text(leaseOwner, 'leaseOwner', ID_MAX);
    const err = toJsonText(error, 'error');
    return this.run('requeueRun', async (q) => {
      const { rows } = await q.query(
        `UPDATE runs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, error = $3::text::jsonb, updated_at = now()
         WHERE id = $1 AND status = 'running' AND lease_owner = $2 RETURNING id`,
        [id, leaseOwner, err],
      );
      return rows.length === 1;
    });
  }

  /**
   * Ends a run: `succeeded` (with `result`), `failed` (with `error`) or `cancelled`. With
   * `leaseOwner`, only while that worker holds the lease. Returns null when the run is missing,
   * already final, or the lease was lost — a final state is never overwritten.
   */
  async finishRun(id: string, status: 'succeeded' | 'failed' | 'cancelled', opts: { result?: unknown; error?: unknown; leaseOwner?: string } = {}): Promise<Run | null> {
    text(id, 'id', ID_MAX);
    oneOf(status, 'status', ['succeeded', 'failed', 'cancelled'] as const);
    const result = opts.result === undefined ? null : toJsonText(opts.result, 'result');
    const error = opts.error === undefined ? null : toJsonText(opts.error, 'error');
    const leaseOwner = opts.leaseOwner === undefined ? null : text(opts.leaseOwner, 'leaseOwner', ID_MAX);
    return this.run('finishRun', async (q) => {
      const { rows } = await q.query(
        `UPDATE runs SET status = $2::text, result = $3::text::jsonb, error = coalesce($4::text::jsonb, CASE WHEN $2::text = 'succeeded' THEN NULL ELSE error END),
                finished_at = now(), updated_at = now(), lease_owner = NULL, lease_expires_at = NULL
         WHERE id = $1 AND status IN ('queued', 'running') AND ($5::text IS NULL OR lease_owner = $5::text)
         RETURNING *`,
        [id, status, result, error, leaseOwner],
      );
      return RunStore.one(parseRows(runRow, rows, 'runs'));
    });
  }

  /**
   * Rewrites the result of a run that succeeded — an operator retried one of its dead-lettered
   * items and it verified after all: `update` gets the stored result under the run's row lock
   * (so two amendments never lose each other's change) and returns the new one. Returns null,
   * changing nothing, when the run is missing or did not succeed.
   */
  async amendResult(id: string, update: (result: unknown) => unknown): Promise<Run | null> {
    text(id, 'id', ID_MAX);
    return this.tx('amendResult', async (q) => {
      const cur = RunStore.one(parseRows(runRow, (await q.query(`SELECT * FROM runs WHERE id = $1 AND status = 'succeeded' FOR UPDATE`, [id])).rows, 'runs'));
      if (cur === null) return null;
      const next = toJsonText(update(cur.result), 'result');
      const { rows } = await q.query('UPDATE runs SET result = $2::text::jsonb, updated_at = now() WHERE id = $1 RETURNING *', [id, next]);
      return RunStore.one(parseRows(runRow, rows, 'runs'));
    });
  }

  /** Adds one attempt to a run, or to one of its items with `itemKey`; returns the new count. Throws STORE_ERR_NOT_FOUND. */
  async incrementAttempts(runId: string, itemKey?: string): Promise<number> {
    text(runId, 'runId', ID_MAX);
    if (itemKey !== undefined) text(itemKey, 'itemKey', KEY_MAX);
    return this.run('incrementAttempts', async (q) => {
      const { rows } =
        itemKey === undefined
          ? await q.query('UPDATE runs SET attempts = attempts + 1, updated_at = now() WHERE id = $1 RETURNING attempts', [runId])
          : await q.query('UPDATE items SET attempts = attempts + 1, updated_at = now() WHERE run_id = $1 AND item_key = $2 RETURNING attempts', [runId, itemKey]);
      if (rows.length === 0) throw new StoreError('STORE_ERR_NOT_FOUND', `store: incrementAttempts: no ${itemKey === undefined ? 'run' : 'item'} ${itemKey === undefined ? runId : `${itemKey} in run ${runId}`}`);
      return Number(rows[0]?.['attempts']);
    });
  }

  // ---------------------------------------------------------------- steps

  private static checkStep(runId: string, round: number, stage: Stage, key: string): void {
    text(runId, 'runId', ID_MAX);
    int(round, 'round', 0, 10_000);
    oneOf(stage, 'stage', STAGES);
    text(key, 'idempotencyKey', STEP_KEY_MAX);
  }

  private static sameStep(row: Row, runId: string, round: number, stage: Stage, key: string): Step {
    const step = parseRows(stepRow, [row], 'steps')[0] as Step;
    if (step.runId !== runId || step.round !== round || step.stage !== stage) {
      throw new StoreError('STORE_ERR_CONFLICT', `store: idempotency key ${key} belongs to another step (run ${step.runId}, round ${step.round}, ${step.stage})`);
    }
    return step;
  }

  /**
   * Marks a step started (one more attempt). When it already completed — a resumed run —
   * returns it unchanged with its `output`: the caller reuses that instead of redoing the work.
   */
  async beginStep(runId: string, round: number, stage: Stage, idempotencyKey: string): Promise<Step> {
    RunStore.checkStep(runId, round, stage, idempotencyKey);
    return this.tx('beginStep', async (q) => {
      const ins = await q.query(
        `INSERT INTO steps (idempotency_key, run_id, round, stage, status, attempts, started_at)
         VALUES ($1, $2, $3, $4, 'running', 1, now()) ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
        [idempotencyKey, runId, round, stage],
      );
      if (ins.rows[0] !== undefined) return parseRows(stepRow, ins.rows, 'steps')[0] as Step;
      const { rows } = await q.query('SELECT * FROM steps WHERE idempotency_key = $1 FOR UPDATE', [idempotencyKey]);
      const step = RunStore.sameStep(rows[0] as Row, runId, round, stage, idempotencyKey);
      if (step.status === 'completed') return step;
      const upd = await q.query(
        `UPDATE steps SET status = 'running', attempts = attempts + 1, error = NULL, started_at = now(), finished_at = NULL
         WHERE idempotency_key = $1 RETURNING *`,
        [idempotencyKey],
      );
      return parseRows(stepRow, upd.rows, 'steps')[0] as Step;
    });
  }

  /**
   * Records a step's output. Idempotent: for a key that already completed, nothing changes and
   * the STORED step (its first output) is returned. Throws STORE_ERR_CONFLICT when the key
   * belongs to another run, round or stage; STORE_ERR_NOT_FOUND when the run does not exist.
   */
  async completeStep(runId: string, round: number, stage: Stage, idempotencyKey: string, output: unknown): Promise<Step> {
    RunStore.checkStep(runId, round, stage, idempotencyKey);
    if (output === undefined || output === null) throw invalid('a completed step needs an output');
    const out = toJsonText(output, 'output');
    return this.tx('completeStep', async (q) => {
      const ins = await q.query(
        `INSERT INTO steps (idempotency_key, run_id, round, stage, status, output, attempts, started_at, finished_at)
         VALUES ($1, $2, $3, $4, 'completed', $5::text::jsonb, 1, now(), now()) ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
        [idempotencyKey, runId, round, stage, out],
      );
      if (ins.rows[0] !== undefined) return parseRows(stepRow, ins.rows, 'steps')[0] as Step;
      const { rows } = await q.query('SELECT * FROM steps WHERE idempotency_key = $1 FOR UPDATE', [idempotencyKey]);
      const step = RunStore.sameStep(rows[0] as Row, runId, round, stage, idempotencyKey);
      if (step.status === 'completed') return step;
      const upd = await q.query(
        `UPDATE steps SET status = 'completed', output = $2::text::jsonb, error = NULL, finished_at = now() WHERE idempotency_key = $1 RETURNING *`,
        [idempotencyKey, out],
      );
      return parseRows(stepRow, upd.rows, 'steps')[0] as Step;
    });
  }

  /** Records a failed attempt of a step (never of a completed one); null when there is no such unfinished step. */
  async failStep(idempotencyKey: string, error: unknown): Promise<Step | null> {
    text(idempotencyKey, 'idempotencyKey', STEP_KEY_MAX);
    const err = toJsonText(error, 'error');
    return this.run('failStep', async (q) => {
      const { rows } = await q.query(
        `UPDATE steps SET status = 'failed', error = $2::text::jsonb, finished_at = now() WHERE idempotency_key = $1 AND status <> 'completed' RETURNING *`,
        [idempotencyKey, err],
      );
      return RunStore.one(parseRows(stepRow, rows, 'steps'));
    });
  }

  /** The step with this key, or null. */
  async getStep(idempotencyKey: string): Promise<Step | null> {
    text(idempotencyKey, 'idempotencyKey', STEP_KEY_MAX);
    return this.run('getStep', async (q) => RunStore.one(parseRows(stepRow, (await q.query('SELECT * FROM steps WHERE idempotency_key = $1', [idempotencyKey])).rows, 'steps')));
  }

  /** The run's completed steps in workflow order (round, then research → synthesis → verification). */
  async completedSteps(runId: string): Promise<Step[]> {
    text(runId, 'runId', ID_MAX);
    return this.run('completedSteps', async (q) => {
      const { rows } = await q.query(
        `SELECT * FROM steps WHERE run_id = $1 AND status = 'completed'
         ORDER BY round, CASE stage WHEN 'research' THEN 0 WHEN 'synthesis' THEN 1 ELSE 2 END, finished_at, idempotency_key`,
        [runId],
      );
      return parseRows(stepRow, rows, 'steps');
    });
  }

  // ---------------------------------------------------------------- items

  /**
   * Adds candidates as `pending`; keys the run already has are left untouched (a resumed round
   * re-adds them harmlessly). With `processing`, adds them as `processing` at once (and moves
   * existing unfinished ones there). Returns how many were new.
   */
  async upsertItems(runId: string, round: number, items: readonly { key: string; candidate: unknown }[], opts: { processing?: boolean } = {}): Promise<number> {
    text(runId, 'runId', ID_MAX);
    int(round, 'round', 0, 10_000);
    if (!Array.isArray(items)) throw invalid('items must be an array');
    if (items.length > MAX_BATCH) throw new StoreError('STORE_ERR_TOO_LARGE', `store: upsertItems takes at most ${MAX_BATCH} items per call`);
    if (items.length === 0) return 0;
    const seen = new Set<string>();
    const batch: { i: number; key: string; candidate: unknown }[] = [];
    items.forEach((item, i) => {
      const key = text(item.key, `items[${i}].key`, KEY_MAX);
      if (item.candidate === undefined) throw invalid(`items[${i}].candidate is missing`);
      if (!seen.has(key)) batch.push({ i, key, candidate: item.candidate });
      seen.add(key);
    });
    const payload = toJsonText(batch, 'items');
    if (opts.processing === true) {
      // Added and handed to the verifier in one statement: new items start `processing` (one
      // attempt); existing ones not yet final move to `processing` and count another attempt.
      return this.run('upsertItems', async (q) => {
        const { rows } = await q.query(
          `INSERT INTO items (run_id, item_key, round, candidate, status, attempts)
           SELECT $1, x.key, $2, x.candidate, 'processing', 1 FROM jsonb_to_recordset($3::text::jsonb) AS x(i integer, key text, candidate jsonb) ORDER BY x.i
           ON CONFLICT (run_id, item_key) DO UPDATE SET status = 'processing', attempts = items.attempts + 1, updated_at = now()
             WHERE items.status IN ('pending', 'processing')
           RETURNING (xmax = 0) AS inserted`,
          [runId, round, payload],
        );
        return rows.filter((r) => r['inserted'] === true).length;
      });
    }
    return this.run('upsertItems', async (q) => {
      const { rows } = await q.query(
        `INSERT INTO items (run_id, item_key, round, candidate)
         SELECT $1, x.key, $2, x.candidate FROM jsonb_to_recordset($3::text::jsonb) AS x(i integer, key text, candidate jsonb) ORDER BY x.i
         ON CONFLICT (run_id, item_key) DO NOTHING
         RETURNING item_key`,
        [runId, round, payload],
      );
      return rows.length;
    });
  }

  /**
   * Moves items along pending → processing → verified | failed (processing → pending for a
   * retry; `processing` counts an attempt). An item already `verified` or `failed` never changes:
   * a late or repeated update is ignored. Returns the items that changed.
   */
  async markItems(runId: string, updates: readonly ItemUpdate[]): Promise<Item[]> {
    text(runId, 'runId', ID_MAX);
    if (!Array.isArray(updates)) throw invalid('updates must be an array');
    if (updates.length > MAX_BATCH) throw new StoreError('STORE_ERR_TOO_LARGE', `store: markItems takes at most ${MAX_BATCH} updates per call`);
    if (updates.length === 0) return [];
    const byKey = new Map<string, Record<string, unknown>>();
    updates.forEach((u, i) => {
      const key = text(u.key, `updates[${i}].key`, KEY_MAX);
      const entry: Record<string, unknown> = { key, status: oneOf(u.status, `updates[${i}].status`, ITEM_STATUSES) };
      if (u.reason !== undefined && u.reason !== null) entry['reason'] = boundedText(text(u.reason, `updates[${i}].reason`, 100_000), 1_000);
      if (u.verdict !== undefined) entry['verdict'] = u.verdict;
      byKey.set(key, entry); // the last update of a key wins
    });
    const payload = toJsonText([...byKey.values()], 'updates');
    return this.run('markItems', async (q) => {
      const { rows } = await q.query(
        `UPDATE items i SET status = x.status, reason = x.reason, verdict = coalesce(x.verdict, i.verdict),
                attempts = i.attempts + CASE WHEN x.status = 'processing' THEN 1 ELSE 0 END, updated_at = now()
         FROM jsonb_to_recordset($2::text::jsonb) AS x(key text, status text, reason text, verdict jsonb)
         WHERE i.run_id = $1 AND i.item_key = x.key AND i.status IN ('pending', 'processing')
         RETURNING i.*`,
        [runId, payload],
      );
      return parseRows(itemRow, rows, 'items');
    });
  }

  /** The run's items in the order they were added (optionally only those in `status`). */
  async itemsOf(runId: string, opts: { status?: ItemStatus } = {}): Promise<Item[]> {
    text(runId, 'runId', ID_MAX);
    const status = opts.status === undefined ? null : oneOf(opts.status, 'status', ITEM_STATUSES);
    return this.run('itemsOf', async (q) => {
      const { rows } = await q.query('SELECT * FROM items WHERE run_id = $1 AND ($2::text IS NULL OR status = $2::text) ORDER BY ord', [runId, status]);
      return parseRows(itemRow, rows, 'items');
    });
  }

  // ---------------------------------------------------------------- events

  /**
   * Appends to the run's progress stream and returns the event; `seq` is 1, 2, 3… per run, in
   * commit order, with no gaps. A `progress` event also becomes the run's `progress`. Throws
   * STORE_ERR_NOT_FOUND for an unknown run, STORE_ERR_TOO_LARGE past MAX_EVENTS_PER_RUN.
   */
  async appendEvent(runId: string, type: string, data: unknown): Promise<RunEvent> {
    text(runId, 'runId', ID_MAX);
    text(type, 'type', 64);
    const payload = toJsonText(data ?? null, 'event data');
    return this.run('appendEvent', async (q) => {
      // One statement: the run's row lock orders concurrent appends, so seq never repeats or skips.
      const { rows } = await q.query(
        `WITH s AS (
           UPDATE runs SET last_event_seq = last_event_seq + 1, updated_at = now(),
                  progress = CASE WHEN $2::text = 'progress' THEN $3::text::jsonb ELSE progress END
           WHERE id = $1 AND last_event_seq < $4 RETURNING id, last_event_seq)
         INSERT INTO run_events (run_id, seq, type, data) SELECT id, last_event_seq, $2::text, $3::text::jsonb FROM s
         RETURNING *`,
        [runId, type, payload, MAX_EVENTS_PER_RUN],
      );
      if (rows.length === 0) {
        const exists = await q.query('SELECT 1 FROM runs WHERE id = $1', [runId]);
        if (exists.rows.length === 0) throw new StoreError('STORE_ERR_NOT_FOUND', `store: appendEvent: no run ${runId}`);
        throw new StoreError('STORE_ERR_TOO_LARGE', `store: run ${runId} has ${MAX_EVENTS_PER_RUN} events, the most one run may hold`);
      }
      return parseRows(eventRow, rows, 'run_events')[0] as RunEvent;
    });
  }

  /** Events with seq > `afterSeq`, in order (default 500, at most 10000) — replay for a stream that (re)connects. */
  async eventsAfter(runId: string, afterSeq = 0, opts: { limit?: number } = {}): Promise<RunEvent[]> {
    text(runId, 'runId', ID_MAX);
    int(afterSeq, 'afterSeq', 0, Number.MAX_SAFE_INTEGER);
    const limit = limitOf(opts.limit, 500, MAX_EVENTS_PER_RUN);
    return this.run('eventsAfter', async (q) => {
      const { rows } = await q.query('SELECT * FROM run_events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [runId, afterSeq, limit]);
      return parseRows(eventRow, rows, 'run_events');
    });
  }

  // ---------------------------------------------------------------- dead letters

  private async insertDeadLetter(
    q: Queryable,
    dl: { kind: 'run' | 'item'; runId: string; itemKey: string | null; owner: string; attempts: number; lastError: string; context: Record<string, unknown> },
  ): Promise<DeadLetter> {
    const { rows } = await q.query(
      `INSERT INTO dead_letters (id, kind, run_id, item_key, owner, last_error, context, attempts)
       VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb, $8)
       ON CONFLICT (run_id, (coalesce(item_key, ''))) WHERE state = 'open'
       DO UPDATE SET last_error = EXCLUDED.last_error, context = EXCLUDED.context, attempts = EXCLUDED.attempts, updated_at = now()
       RETURNING *`,
      [`dlq_${randomUUID()}`, dl.kind, dl.runId, dl.itemKey, dl.owner, boundedText(dl.lastError), toJsonText(dl.context, 'context'), dl.attempts],
    );
    return parseRows(deadLetterRow, rows, 'dead_letters')[0] as DeadLetter;
  }

  /**
   * Sends a run or an item that keeps failing to the dead-letter queue, in one transaction: a run
   * becomes `dead` (lease dropped), an item `failed` with reason `dead_lettered`, and an open dead
   * letter records the last error, the context and the attempts. A repeat while one is open updates
   * it. Throws STORE_ERR_NOT_FOUND, or STORE_ERR_CONFLICT for a run that succeeded or was
   * cancelled, or an item already verified.
   */
  async deadLetter(dl: NewDeadLetter): Promise<DeadLetter> {
    const kind = oneOf(dl.kind, 'kind', ['run', 'item'] as const);
    text(dl.runId, 'runId', ID_MAX);
    const itemKey = kind === 'item' ? text(dl.itemKey, 'itemKey', KEY_MAX) : null;
    if (kind === 'run' && dl.itemKey !== undefined) throw invalid('a run dead letter has no itemKey');
    const lastError = text(dl.lastError, 'lastError', 100_000);
    const context = dl.context ?? {};
    if (typeof context !== 'object' || Array.isArray(context)) throw invalid('context must be an object');
    return this.tx('deadLetter', async (q) => {
      const runRes = await q.query('SELECT * FROM runs WHERE id = $1 FOR UPDATE', [dl.runId]);
      const run = RunStore.one(parseRows(runRow, runRes.rows, 'runs'));
      if (run === null) throw new StoreError('STORE_ERR_NOT_FOUND', `store: deadLetter: no run ${dl.runId}`);
      let attempts = run.attempts;
      if (kind === 'run') {
        if (run.status === 'succeeded' || run.status === 'cancelled') {
          throw new StoreError('STORE_ERR_CONFLICT', `store: deadLetter: run ${run.id} is ${run.status}`);
        }
        await q.query(
          `UPDATE runs SET status = 'dead', lease_owner = NULL, lease_expires_at = NULL, finished_at = coalesce(finished_at, now()), updated_at = now(),
                  error = jsonb_build_object('code', 'dead_lettered', 'message', $2::text, 'previous', error)
           WHERE id = $1 AND status <> 'dead'`,
          [run.id, boundedText(lastError, 1_000)],
        );
      } else {
        const itemRes = await q.query('SELECT * FROM items WHERE run_id = $1 AND item_key = $2 FOR UPDATE', [run.id, itemKey]);
        const item = RunStore.one(parseRows(itemRow, itemRes.rows, 'items'));
        if (item === null) throw new StoreError('STORE_ERR_NOT_FOUND', `store: deadLetter: no item ${itemKey ?? ''} in run ${run.id}`);
        if (item.status === 'verified') throw new StoreError('STORE_ERR_CONFLICT', `store: deadLetter: item ${item.key} is verified`);
        attempts = item.attempts;
        await q.query(
          `UPDATE items SET status = 'failed', reason = 'dead_lettered', updated_at = now() WHERE run_id = $1 AND item_key = $2 AND status <> 'failed'`,
          [run.id, itemKey],
        );
      }
      return this.insertDeadLetter(q, { kind, runId: run.id, itemKey, owner: run.owner, attempts, lastError, context });
    });
  }

  /** Dead letters, newest first, filtered (default 100, at most 1000). */
  async listDeadLetters(filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
    const where: string[] = [];
    const params: QueryParam[] = [];
    const add = (col: string, v: string): void => {
      params.push(v);
      where.push(`${col} = $${params.length}`);
    };
    if (filter.state !== undefined) add('state', oneOf(filter.state, 'state', DEAD_LETTER_STATES));
    if (filter.kind !== undefined) add('kind', oneOf(filter.kind, 'kind', ['run', 'item'] as const));
    if (filter.owner !== undefined) add('owner', text(filter.owner, 'owner', OWNER_MAX));
    if (filter.runId !== undefined) add('run_id', text(filter.runId, 'runId', ID_MAX));
    params.push(limitOf(filter.limit, 100, 1000));
    const sql = `SELECT * FROM dead_letters ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT $${params.length}`;
    return this.run('listDeadLetters', async (q) => parseRows(deadLetterRow, (await q.query(sql, params)).rows, 'dead_letters'));
  }

  async getDeadLetter(id: string): Promise<DeadLetter | null> {
    text(id, 'id', ID_MAX);
    return this.run('getDeadLetter', async (q) => RunStore.one(parseRows(deadLetterRow, (await q.query('SELECT * FROM dead_letters WHERE id = $1', [id])).rows, 'dead_letters')));
  }

  /**
   * An operator's decision on an open dead letter. `dropped` only closes it. `retried` closes it
   * and, in the same transaction, gives the work back: a dead (or failed) run is `queued` again
   * with its attempts reset; a dead-lettered item is `pending` again and its run, if dead or
   * failed, `queued`. Throws STORE_ERR_NOT_FOUND, or STORE_ERR_CONFLICT when it is not open.
   */
  async markDeadLetter(id: string, state: 'retried' | 'dropped'): Promise<DeadLetter> {
    text(id, 'id', ID_MAX);
    oneOf(state, 'state', ['retried', 'dropped'] as const);
    return this.tx('markDeadLetter', async (q) => {
      const cur = RunStore.one(parseRows(deadLetterRow, (await q.query('SELECT * FROM dead_letters WHERE id = $1 FOR UPDATE', [id])).rows, 'dead_letters'));
      if (cur === null) throw new StoreError('STORE_ERR_NOT_FOUND', `store: markDeadLetter: no dead letter ${id}`);
      if (cur.state !== 'open') throw new StoreError('STORE_ERR_CONFLICT', `store: markDeadLetter: dead letter ${id} is already ${cur.state}`);
      if (state === 'retried') {
        if (cur.kind === 'item') {
          await q.query(
            `UPDATE items SET status = 'pending', attempts = 0, reason = NULL, updated_at = now() WHERE run_id = $1 AND item_key = $2 AND status = 'failed'`,
            [cur.runId, cur.itemKey],
          );
        }
        await q.query(
          `UPDATE runs SET status = 'queued', attempts = 0, finished_at = NULL, result = NULL, updated_at = now()
           WHERE id = $1 AND status IN ('dead', 'failed')`,
          [cur.runId],
        );
      }
      const { rows } = await q.query('UPDATE dead_letters SET state = $2, updated_at = now() WHERE id = $1 RETURNING *', [id, state]);
      return parseRows(deadLetterRow, rows, 'dead_letters')[0] as DeadLetter;
    });
  }

  // ---------------------------------------------------------------- erasure and retention

  private static async deleteRuns(q: Queryable, runFilter: string, params: QueryParam[], extraDeadLetters = ''): Promise<DeletedCounts> {
    const dl = await q.query(`DELETE FROM dead_letters WHERE run_id IN (${runFilter})${extraDeadLetters}`, params);
    const events = await q.query(`DELETE FROM run_events WHERE run_id IN (${runFilter})`, params);
    const items = await q.query(`DELETE FROM items WHERE run_id IN (${runFilter})`, params);
    const steps = await q.query(`DELETE FROM steps WHERE run_id IN (${runFilter})`, params);
    const runs = await q.query(`DELETE FROM runs WHERE id IN (${runFilter})`, params);
    return { runs: runs.rowCount, steps: steps.rowCount, items: items.rowCount, events: events.rowCount, deadLetters: dl.rowCount };
  }

  /**
   * Erasure ("right to be forgotten", `DELETE /v1/subjects/{id}`): deletes every run of `owner`
   * with its steps, items, events and dead letters, in one transaction, and returns the counts.
   * Audit records are not touched: they hold no personal data (see README). Rows are gone for
   * every reader at commit. With `scrub` (the default on PGlite) the deleted bytes are then
   * removed from the database files as well (see `scrub()`); on a server, autovacuum does it.
   */
  async eraseSubject(owner: string, opts: { scrub?: boolean } = {}): Promise<DeletedCounts> {
    text(owner, 'owner', OWNER_MAX);
    const counts = await this.tx('eraseSubject', async (q) => {
      await q.query('SELECT id FROM runs WHERE owner = $1 FOR UPDATE', [owner]);
      return RunStore.deleteRuns(q, 'SELECT id FROM runs WHERE owner = $1', [owner], ' OR owner = $1');
    });
    if ((opts.scrub ?? this.kind === 'pglite') && counts.runs + counts.deadLetters > 0) await this.scrub();
    return counts;
  }

  /**
   * Removes deleted rows from the database files, not just from view. A plain VACUUM frees the
   * space of deleted rows but leaves their bytes in pages that still hold other rows (found on
   * PGlite: an erased owner stayed readable in the runs heap and its index), so `full` (the
   * default on PGlite) rewrites the tables and their indexes into new files (VACUUM FULL, which
   * locks them while it runs). On PGlite — one process, no autovacuum, no archiving — a WAL
   * switch and two checkpoints with WAL recycling off follow, so no old WAL segment keeps the
   * data either. On a server the WAL, replicas and backups are the operator's (see README).
   */
  async scrub(opts: { full?: boolean } = {}): Promise<void> {
    const full = opts.full ?? this.kind === 'pglite';
    await this.run('scrub', async (q) => {
      await q.query(`VACUUM ${full ? 'FULL ' : ''}runs, steps, items, run_events, dead_letters`);
      if (this.kind !== 'pglite') return;
      await q.query('SET wal_recycle = off');
      try {
        await q.query('SELECT pg_switch_wal()');
        await q.query('CHECKPOINT');
        await q.query('CHECKPOINT');
      } finally {
        await q.query('RESET wal_recycle');
      }
    });
  }

  /**
   * Housekeeping a server's autovacuum does by itself: PGlite runs one standalone backend with
   * no autovacuum worker, so without this, dead row versions (every lease renewal, event and
   * item update leaves one) and stale planner statistics pile up. `VACUUM (ANALYZE)` of the
   * store's tables on PGlite; nothing on a server. `startRetention` calls it after each pass.
   */
  async maintain(): Promise<void> {
    if (this.kind !== 'pglite') return;
    await this.run('maintain', (q) => q.query('VACUUM (ANALYZE) runs, steps, items, run_events, dead_letters, audit_records'));
  }

  /**
   * Retention (`RUN_RETENTION_DAYS`): deletes up to `limit` (default 1000) runs that finished
   * before `before`, with everything that belongs to them; `more` says whether to call again.
   * Runs still queued or running are never purged. With `scrub` (the default on PGlite) the
   * last batch is followed by `scrub()`.
   */
  async purgeFinishedBefore(before: Date, opts: { limit?: number; scrub?: boolean } = {}): Promise<DeletedCounts & { more: boolean }> {
    if (!(before instanceof Date) || Number.isNaN(before.getTime())) throw invalid('before must be a valid Date');
    const limit = limitOf(opts.limit, 1000, 10_000);
    const result = await this.tx('purgeFinishedBefore', async (q) => {
      const { rows } = await q.query(
        `SELECT id FROM runs WHERE finished_at IS NOT NULL AND finished_at < $1::timestamptz AND status IN (${FINAL})
         ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [before.toISOString(), limit],
      );
      if (rows.length === 0) return { runs: 0, steps: 0, items: 0, events: 0, deadLetters: 0, more: false };
      const ids = toJsonText(rows.map((r) => String(r['id'])), 'ids');
      const counts = await RunStore.deleteRuns(q, 'SELECT jsonb_array_elements_text($1::text::jsonb)', [ids]);
      return { ...counts, more: rows.length === limit };
    });
    if ((opts.scrub ?? this.kind === 'pglite') && result.runs > 0 && !result.more) await this.scrub();
    return result;
  }

  // ---------------------------------------------------------------- audit

  /**
   * Appends to the audit chain under a lock, so concurrent writers (several replicas on one
   * Postgres) are serialized: `build` is given the last record (null for the first) and returns
   * the next one, whose `prevHash` must be the last record's `hash` and whose `seq`, when set,
   * the next number. Throws STORE_ERR_CONFLICT otherwise. The table refuses UPDATE, DELETE and
   * TRUNCATE by trigger.
   */
  async appendAuditWith(build: (last: AuditRow | null) => NewAuditRecord | Promise<NewAuditRecord>): Promise<AuditRow> {
    return this.tx('appendAudit', async (q) => {
      await q.query(`SELECT pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`);
      const last = RunStore.one(parseRows(auditRow, (await q.query('SELECT * FROM audit_records ORDER BY seq DESC LIMIT 1')).rows, 'audit_records'));
      const entry = await build(last);
      const expected = (last?.seq ?? 0) + 1;
      if (entry.seq !== undefined && entry.seq !== expected) {
        throw new StoreError('STORE_ERR_CONFLICT', `store: audit record seq ${entry.seq} is not the next one (${expected})`);
      }
      text(entry.hash, 'hash', 256);
      if (entry.prevHash !== null) text(entry.prevHash, 'prevHash', 256);
      if (last !== null && entry.prevHash !== last.hash) {
        throw new StoreError('STORE_ERR_CONFLICT', `store: audit record ${expected} does not link to record ${last.seq} (prevHash differs from its hash)`);
      }
      const { rows } = await q.query('INSERT INTO audit_records (seq, hash, prev_hash, record) VALUES ($1, $2, $3, $4::text::jsonb) RETURNING *', [
        expected,
        entry.hash,
        entry.prevHash,
        toJsonText(entry.record, 'audit record'),
      ]);
      return parseRows(auditRow, rows, 'audit_records')[0] as AuditRow;
    });
  }

  /** `appendAuditWith` for a record built beforehand. */
  async appendAudit(entry: NewAuditRecord): Promise<AuditRow> {
    return this.appendAuditWith(() => entry);
  }

  /** Audit records with seq > `afterSeq`, in order (default 1000, at most 10000). */
  async auditRecords(afterSeq = 0, opts: { limit?: number } = {}): Promise<AuditRow[]> {
    int(afterSeq, 'afterSeq', 0, Number.MAX_SAFE_INTEGER);
    const limit = limitOf(opts.limit, 1000, 10_000);
    return this.run('auditRecords', async (q) =>
      parseRows(auditRow, (await q.query('SELECT * FROM audit_records WHERE seq > $1 ORDER BY seq LIMIT $2', [afterSeq, limit])).rows, 'audit_records'),
    );
  }

  /** The newest audit record, or null. */
  async lastAudit(): Promise<AuditRow | null> {
    return this.run('lastAudit', async (q) => RunStore.one(parseRows(auditRow, (await q.query('SELECT * FROM audit_records ORDER BY seq DESC LIMIT 1')).rows, 'audit_records')));
  }

  // ---------------------------------------------------------------- gauges

  /** Runs per status and open dead letters — for metrics gauges. */
  async counts(): Promise<{ runs: Record<RunStatus, number>; openDeadLetters: number }> {
    return this.run('counts', async (q) => {
      const runs: Record<RunStatus, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0, dead: 0 };
      for (const row of (await q.query<{ status: RunStatus; n: unknown }>('SELECT status, count(*) AS n FROM runs GROUP BY status')).rows) runs[row.status] = Number(row.n);
      const dl = await q.query<{ n: unknown }>(`SELECT count(*) AS n FROM dead_letters WHERE state = 'open'`);
      return { runs, openDeadLetters: Number(dl.rows[0]?.n ?? 0) };
    });
  }

  /** Closes the driver (pool or PGlite) and releases the directory lock. Idempotent. */
  async close(): Promise<void> {
    await this.driver.close();
  }
}
