/**
 * Rows as the repository returns them: validated with zod on the way out of the database and
 * turned from snake_case columns into camelCase fields. Both drivers' differences end here:
 * timestamps (Date on both) become ISO strings, int8 (a string from pg, a number or BigInt from
 * PGlite) becomes a safe integer.
 */
import { z } from 'zod';
import type { Row } from './driver.js';
import { StoreError } from './errors.js';

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'dead'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** A run in one of these states never changes state again (except through a dead letter's retry). */
export const FINAL_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled', 'dead'];

export const STAGES = ['research', 'synthesis', 'verification'] as const;
export type Stage = (typeof STAGES)[number];

export const STEP_STATUSES = ['running', 'completed', 'failed'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const ITEM_STATUSES = ['pending', 'processing', 'verified', 'failed'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];
export const FINAL_ITEM_STATUSES: readonly ItemStatus[] = ['verified', 'failed'];

export const DEAD_LETTER_STATES = ['open', 'retried', 'dropped'] as const;
export type DeadLetterState = (typeof DEAD_LETTER_STATES)[number];

const timestamp = z.union([z.date(), z.string()]).transform((v, ctx) => {
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) {
    ctx.addIssue({ code: 'custom', message: 'not a timestamp' });
    return z.NEVER;
  }
  return d.toISOString();
});
const nullableTimestamp = timestamp.nullable();
const integer = z.union([z.number(), z.string(), z.bigint()]).transform((v, ctx) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) {
    ctx.addIssue({ code: 'custom', message: 'not a safe integer' });
    return z.NEVER;
  }
  return n;
});
const json = z.unknown();

export const runRow = z
  .object({
    id: z.string(),
    owner: z.string(),
    status: z.enum(RUN_STATUSES),
    workflow_version: z.string(),
    input: json,
    progress: json,
    result: json,
    error: json,
    attempts: integer,
    lease_owner: z.string().nullable(),
    lease_expires_at: nullableTimestamp,
    last_event_seq: integer,
    created_at: timestamp,
    updated_at: timestamp,
    started_at: nullableTimestamp,
    finished_at: nullableTimestamp,
  })
  .transform((r) => ({
    id: r.id,
    owner: r.owner,
    status: r.status,
    workflowVersion: r.workflow_version,
    input: r.input,
    /** The data of the newest `progress` event, or null. */
    progress: r.progress ?? null,
    result: r.result ?? null,
    error: r.error ?? null,
    /** Times the run was claimed (started or resumed). */
    attempts: r.attempts,
    leaseOwner: r.lease_owner,
    leaseExpiresAt: r.lease_expires_at,
    /** Seq of the newest event (0: none yet). */
    lastEventSeq: r.last_event_seq,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  }));
export type Run = z.output<typeof runRow>;

export const stepRow = z
  .object({
    idempotency_key: z.string(),
    run_id: z.string(),
    round: integer,
    stage: z.enum(STAGES),
    status: z.enum(STEP_STATUSES),
    output: json,
    attempts: integer,
    error: json,
    started_at: nullableTimestamp,
    finished_at: nullableTimestamp,
  })
  .transform((r) => ({
    idempotencyKey: r.idempotency_key,
    runId: r.run_id,
    round: r.round,
    stage: r.stage,
    status: r.status,
    /** What the step produced; a resumed run reuses it instead of calling the agent again. */
    output: r.output ?? null,
    attempts: r.attempts,
    error: r.error ?? null,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  }));
export type Step = z.output<typeof stepRow>;

export const itemRow = z
  .object({
    run_id: z.string(),
    item_key: z.string(),
    round: integer,
    candidate: json,
    status: z.enum(ITEM_STATUSES),
    reason: z.string().nullable(),
    verdict: json,
    attempts: integer,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .transform((r) => ({
    runId: r.run_id,
    key: r.item_key,
    round: r.round,
    candidate: r.candidate,
    status: r.status,
    reason: r.reason,
    verdict: r.verdict ?? null,
    attempts: r.attempts,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
export type Item = z.output<typeof itemRow>;

export const eventRow = z
  .object({
    run_id: z.string(),
    seq: integer,
    type: z.string(),
    data: json,
    at: timestamp,
  })
  .transform((r) => ({ runId: r.run_id, seq: r.seq, type: r.type, data: r.data, at: r.at }));
export type RunEvent = z.output<typeof eventRow>;

export const deadLetterRow = z
  .object({
    id: z.string(),
    kind: z.enum(['run', 'item']),
    run_id: z.string(),
    item_key: z.string().nullable(),
    owner: z.string(),
    last_error: z.string(),
    context: json,
    attempts: integer,
    state: z.enum(DEAD_LETTER_STATES),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .transform((r) => ({
    id: r.id,
    kind: r.kind,
    runId: r.run_id,
    itemKey: r.item_key,
    owner: r.owner,
    lastError: r.last_error,
    context: r.context,
    attempts: r.attempts,
    state: r.state,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
export type DeadLetter = z.output<typeof deadLetterRow>;

export const auditRow = z
  .object({
    seq: integer,
    hash: z.string(),
    prev_hash: z.string().nullable(),
    record: json,
    stored_at: timestamp,
  })
  .transform((r) => ({ seq: r.seq, hash: r.hash, prevHash: r.prev_hash, record: r.record, storedAt: r.stored_at }));
export type AuditRow = z.output<typeof auditRow>;

/** Parses rows read back from `table`; STORE_ERR_ROW names the table and the fields at fault (never their values). */
export function parseRows<S extends z.ZodType>(schema: S, rows: readonly Row[], table: string): z.output<S>[] {
  return rows.map((row) => {
    const parsed = schema.safeParse(row);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(row)'))].join(', ');
      throw new StoreError('STORE_ERR_ROW', `store: a row of ${table} does not have the expected shape (${fields})`);
    }
    return parsed.data;
  });
}
