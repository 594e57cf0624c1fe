import { hashTopic, type AuditEvent } from '@stats-agent/audit';
import type { ForgetRequest, ForgetResponse__Output, VerifyRequest, VerifyResponse__Output } from '@stats-agent/proto';
import type { CallSettings } from '@stats-agent/rpc';
import { StoreError, type DeadLetter, type DeletedCounts, type Item, type Run, type RunStore } from '@stats-agent/store';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { agentFailure, HttpError } from '../errors.js';
import type { PublicResult } from '../runs.js';
import { markCorroborated, toStatistic, type Statistic } from '../workflow.js';
import { describeIssues } from './schemas.js';

/** The agent calls the admin endpoints make: re-verifying one candidate, forgetting cached topics. */
export interface AdminAgents {
  verify(req: VerifyRequest, s: CallSettings): Promise<VerifyResponse__Output>;
  forget(req: ForgetRequest, s: CallSettings): Promise<ForgetResponse__Output>;
}

export interface AdminRouterDeps {
  store: RunStore;
  agents: AdminAgents;
  /** Deadlines of the agent calls (ms). */
  timeouts: { research: number; verification: number };
  /** Middleware run before every route: authentication and the admin scope (`requireScope('stats:admin')`). */
  guards: RequestHandler[];
  audit?: (e: AuditEvent) => void;
  /** How a subject appears in the audit trail: a keyed hash (`hashTopic(owner, AUDIT_HMAC_KEY)`), never the owner itself. */
  hashSubject?: (owner: string) => string;
}

/** Topics per Forget call (the research agent takes at most 100). */
const FORGET_BATCH = 100;
/** Runs whose topics an erasure forgets: the newest this many (older ones' results left the cache with its TTL long ago). */
const ERASE_TOPIC_RUNS = 1000;

const deadLetterIdSchema = z.string().regex(/^dlq_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'is not a dead letter id');
const runIdSchema = z.string().regex(/^run_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'is not a run id');
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** A run owner as the orchestrator writes it: `api_key:<id>`, `jwt:<sub>`, or `anonymous`. */
export const subjectIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(512, 'must be at most 512 characters')
  .refine((s) => !CONTROL.test(s), 'must not contain control characters')
  .refine((s) => s === 'anonymous' || /^(api_key|jwt):.+$/.test(s), 'must be an owner: api_key:<key id>, jwt:<token subject> or anonymous');

const listQuerySchema = z.strictObject(
  {
    state: z.enum(['open', 'retried', 'dropped'], { error: 'must be one of open, retried, dropped' }).optional(),
    kind: z.enum(['run', 'item'], { error: 'must be one of run, item' }).optional(),
    run_id: runIdSchema.optional(),
    limit: z.coerce.number({ error: 'must be a number' }).int('must be an integer').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(100),
  },
  { error: (i) => (i.code === 'unrecognized_keys' ? `unknown parameter(s): ${i.keys.join(', ')}` : 'invalid query') },
);

function letterView(dl: DeadLetter): object {
  return {
    id: dl.id,
    kind: dl.kind,
    state: dl.state,
    run_id: dl.runId,
    item_key: dl.itemKey,
    owner: dl.owner,
    attempts: dl.attempts,
    last_error: dl.lastError,
    context: dl.context,
    created_at: dl.createdAt,
    updated_at: dl.updatedAt,
    links: { self: `/v1/admin/dlq/${dl.id}`, retry: `/v1/admin/dlq/${dl.id}/retry` },
  };
}

function countsView(c: DeletedCounts): object {
  return { runs: c.runs, steps: c.steps, items: c.items, events: c.events, dead_letters: c.deadLetters };
}

/** Store failures as HTTP: missing 404, not open 409, database down or slow 503; the store's message names ids, never values. */
function storeFailure(err: unknown): unknown {
  if (!(err instanceof StoreError)) return err;
  switch (err.code) {
    case 'STORE_ERR_NOT_FOUND':
      return new HttpError(404, 'not_found', 'no such dead letter', { cause: err });
    case 'STORE_ERR_CONFLICT':
      return new HttpError(409, 'conflict', err.message.replace(/^store: \w+: /, ''), { cause: err });
    case 'STORE_ERR_UNAVAILABLE':
    case 'STORE_ERR_TIMEOUT':
    case 'STORE_ERR_CLOSED':
      return new HttpError(503, 'store_unavailable', 'the run store is unavailable; try again', { cause: err });
    default:
      return err;
  }
}

/** The candidate a dead-lettered item holds, as the verification agent takes it. */
const storedCandidateSchema = z.looseObject({
  name: z.string(),
  value: z.number(),
  unit: z.string(),
  source: z.string(),
  source_url: z.string(),
  excerpt: z.string(),
  period: z.string().optional(),
});

/**
 * The public result of a succeeded run with one more verified statistic: counts, `partial` and
 * corroboration recomputed. The candidate was counted failed when it was dead-lettered.
 */
export function withVerifiedStatistic(result: unknown, stat: Statistic): unknown {
  if (typeof result !== 'object' || result === null || !Array.isArray((result as PublicResult).statistics)) return result;
  const r = result as PublicResult;
  const statistics = [...r.statistics.filter((s) => !(s.source_url === stat.source_url && s.excerpt === stat.excerpt && s.value === stat.value && s.unit === stat.unit)), stat];
  markCorroborated(statistics);
  const verified = statistics.length;
  const failed = Math.max(0, r.failed_count - (verified - r.statistics.length));
  return { ...r, statistics, verified_count: verified, failed_count: failed, partial: verified < r.target_count };
}

/**
 * Operator endpoints, all behind `guards` (the `stats:admin` scope), one error shape, every
 * action audited with the admin as actor:
 *
 * - `GET /v1/admin/dlq?state=&kind=&run_id=&limit=` — dead letters, newest first.
 * - `GET /v1/admin/dlq/{id}` — one, with its run's status (and the candidate, for an item).
 * - `POST /v1/admin/dlq/{id}/retry` — gives the work back. A run (and an item of a run that is
 *   dead, failed or queued) goes back to `queued` and the sweeper executes it again. An item of
 *   a run that already **succeeded** is verified again here, alone; when it verifies it joins the
 *   run's stored result. A retry whose verification fails again changes nothing (the letter stays
 *   open); an item of a run still executing or cancelled is refused (409).
 * - `DELETE /v1/admin/dlq/{id}` — drops it (closed, nothing retried).
 * - `DELETE /v1/subjects/{owner}` — erasure: the research agent forgets the topics of the owner's
 *   runs, then every run, step, item, event and dead letter of the owner is deleted. Idempotent:
 *   200 with zero counts when nothing is left.
 */
export function createAdminRouter(deps: AdminRouterDeps): express.Router {
  const router = express.Router();
  const hashSubject = deps.hashSubject ?? ((owner: string) => hashTopic(owner));
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch((err: unknown) => next(storeFailure(err)));
  };
  const noQuery = (req: Request): void => {
    if (Object.keys(req.query).length > 0) throw new HttpError(400, 'invalid_query', 'this endpoint takes no query parameters');
  };
  const letterOf = async (req: Request): Promise<DeadLetter> => {
    const id = deadLetterIdSchema.safeParse(req.params['id']);
    if (!id.success) throw new HttpError(400, 'invalid_path', `id: ${describeIssues(id.error)}`);
    const dl = await deps.store.getDeadLetter(id.data);
    if (!dl) throw new HttpError(404, 'not_found', 'no such dead letter');
    return dl;
  };
  const audit = (res: Response, action: AuditEvent['action'], resource: string, outcome: AuditEvent['outcome'], detail?: Record<string, string | number>): void => {
    if (!deps.audit) return;
    const p = (res.locals as { principal?: { kind?: string; id?: string } }).principal;
    const kind = p?.kind === 'api_key' || p?.kind === 'jwt' ? p.kind : 'anonymous';
    const locals = res.locals as { requestId?: string };
    deps.audit({
      actor: { kind, id: p?.id ?? 'anonymous' },
      action,
      resource,
      outcome,
      ...(locals.requestId ? { request_id: locals.requestId } : {}),
      ...(res.req.socket.remoteAddress ? { source_ip: res.req.socket.remoteAddress } : {}),
      ...(detail ? { detail } : {}),
    });
  };
  /** One per request, aborted when the client goes away, so an agent call does not outlive its request. */
  const signals = new WeakMap<Response, AbortSignal>();
  const settings = (res: Response, timeoutMs: number): CallSettings => {
    let signal = signals.get(res);
    if (!signal) {
      const controller = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) controller.abort(new Error('client went away'));
      });
      signal = controller.signal;
      signals.set(res, signal);
    }
    const requestId = (res.locals as { requestId?: string }).requestId;
    return { timeoutMs, requestId: requestId ?? 'admin', signal };
  };

  router.get(
    '/v1/admin/dlq',
    ...deps.guards,
    wrap(async (req, res) => {
      const q = listQuerySchema.safeParse(req.query);
      if (!q.success) throw new HttpError(400, 'invalid_query', describeIssues(q.error));
      const letters = await deps.store.listDeadLetters({
        ...(q.data.state ? { state: q.data.state } : {}),
        ...(q.data.kind ? { kind: q.data.kind } : {}),
        ...(q.data.run_id ? { runId: q.data.run_id } : {}),
        limit: q.data.limit,
      });
      res.json({ dead_letters: letters.map(letterView) });
    }),
  );

  router.get(
    '/v1/admin/dlq/:id',
    ...deps.guards,
    wrap(async (req, res) => {
      noQuery(req);
      const dl = await letterOf(req);
      const run = await deps.store.getRun(dl.runId);
      const item = dl.kind === 'item' && run ? (await deps.store.itemsOf(run.id)).find((i) => i.key === dl.itemKey) : undefined;
      res.json({
        ...letterView(dl),
        run: run ? { status: run.status, attempts: run.attempts, workflow_version: run.workflowVersion, created_at: run.createdAt, error: run.error } : null,
        ...(item ? { item: { status: item.status, reason: item.reason, attempts: item.attempts, round: item.round, candidate: item.candidate } } : {}),
      });
    }),
  );

  router.post(
    '/v1/admin/dlq/:id/retry',
    ...deps.guards,
    wrap(async (req, res) => {
      noQuery(req);
      const dl = await letterOf(req);
      if (dl.state !== 'open') throw new HttpError(409, 'conflict', `dead letter ${dl.id} is already ${dl.state}`);
      const run = await deps.store.getRun(dl.runId);
      if (dl.kind === 'item' && run?.status === 'succeeded') {
        await retryItemOfSucceededRun(dl, run, res);
        return;
      }
      if (dl.kind === 'item' && (run?.status === 'running' || run?.status === 'cancelled')) {
        const why = run.status === 'running' ? 'its run is still executing; retry it once the run has finished' : 'its run was cancelled; drop it instead';
        throw new HttpError(409, 'conflict', `dead letter ${dl.id} cannot be retried now: ${why}`);
      }
      const marked = await deps.store.markDeadLetter(dl.id, 'retried');
      audit(res, 'dlq.retried', `dlq:${dl.id}`, 'success', { kind: dl.kind, run: dl.runId, then: 'requeued' });
      res.json({ dead_letter: letterView(marked), outcome: 'requeued', run: { run_id: dl.runId, status: (await deps.store.getRun(dl.runId))?.status ?? null } });
    }),
  );

  /**
   * An item of a run that already succeeded: nothing would ever pick it up again, so it is
   * verified here, alone, before anything changes — a verifier that is down or still refuses it
   * leaves the letter open (the answer says why) — and then, in order: the letter is closed, the
   * item takes its verdict, and a verified statistic joins the run's result.
   */
  const retryItemOfSucceededRun = async (dl: DeadLetter, run: Run, res: Response): Promise<void> => {
    const item: Item | undefined = (await deps.store.itemsOf(run.id)).find((i) => i.key === dl.itemKey);
    const candidate = storedCandidateSchema.safeParse(item?.candidate);
    if (!item || !candidate.success) throw new HttpError(409, 'conflict', `dead letter ${dl.id}: its item holds no candidate to verify; drop it instead`);
    const c = candidate.data;
    let verdicts: VerifyResponse__Output;
    try {
      verdicts = await deps.agents.verify(
        { candidates: [{ name: c.name, value: c.value, unit: c.unit, source: c.source, source_url: c.source_url, excerpt: c.excerpt, period: c.period ?? '' }] },
        settings(res, deps.timeouts.verification),
      );
    } catch (err) {
      audit(res, 'dlq.retried', `dlq:${dl.id}`, 'failure', { kind: 'item', run: run.id, then: 'still_failing' });
      throw agentFailure('verification', err);
    }
    const verdict = verdicts.results[0];
    if (!verdict) throw new HttpError(502, 'agent_error', 'the verification agent returned no verdict');
    const marked = await deps.store.markDeadLetter(dl.id, 'retried');
    await deps.store.markItems(run.id, [{ key: item.key, status: 'processing' }]);
    await deps.store.markItems(run.id, [{ key: item.key, status: verdict.verified ? 'verified' : 'failed', reason: verdict.reason || (verdict.verified ? 'verified' : 'not_verified'), verdict }]);
    let amended = false;
    if (verdict.verified) {
      const stat = toStatistic(verdict.candidate ? verdict : { ...verdict, candidate: { ...c, period: c.period ?? '', relevance: 0 } }, new Date().toISOString());
      amended = (await deps.store.amendResult(run.id, (result) => withVerifiedStatistic(result, stat))) !== null;
    }
    const outcome = verdict.verified ? 'verified' : 'not_verified';
    audit(res, 'dlq.retried', `dlq:${dl.id}`, 'success', { kind: 'item', run: run.id, then: outcome });
    res.json({ dead_letter: letterView(marked), outcome, reason: verdict.reason, result_amended: amended, run: { run_id: run.id, status: run.status } });
  };

  router.delete(
    '/v1/admin/dlq/:id',
    ...deps.guards,
    wrap(async (req, res) => {
      noQuery(req);
      const dl = await letterOf(req);
      if (dl.state !== 'open') throw new HttpError(409, 'conflict', `dead letter ${dl.id} is already ${dl.state}`);
      const marked = await deps.store.markDeadLetter(dl.id, 'dropped');
      audit(res, 'dlq.dropped', `dlq:${dl.id}`, 'success', { kind: dl.kind, run: dl.runId });
      res.json({ dead_letter: letterView(marked) });
    }),
  );

  router.delete(
    '/v1/subjects/:id',
    ...deps.guards,
    wrap(async (req, res) => {
      noQuery(req);
      const id = subjectIdSchema.safeParse(req.params['id']);
      if (!id.success) throw new HttpError(400, 'invalid_path', `id: ${describeIssues(id.error)}`);
      const owner = id.data;
      // The topics first: once the runs are deleted nothing says what the subject searched.
      const runs = await deps.store.listRuns(owner, { limit: ERASE_TOPIC_RUNS });
      const topics = [...new Set(runs.map((r) => (r.input as { topic?: unknown } | null)?.topic).filter((t): t is string => typeof t === 'string' && t.trim() !== ''))];
      const erased = await deps.store.eraseSubject(owner);
      // Then the cache: after the store, so no run of the subject can put a topic back in between.
      const cache = await forgetTopics(topics, res);
      audit(res, 'subject.erased', `subject:${hashSubject(owner)}`, 'success', {
        runs: erased.runs,
        items: erased.items,
        dead_letters: erased.deadLetters,
        topics: topics.length,
        cache: cache.reached ? 'forgotten' : 'unreachable',
      });
      res.status(200).json({ erased: countsView(erased), cache });
    }),
  );

  /** Forgets `topics` in batches; never throws — the answer says whether the research agent was reached. */
  const forgetTopics = async (topics: string[], res: Response): Promise<{ topics: number; reached: boolean; forgotten: number; error?: string }> => {
    let forgotten = 0;
    for (let i = 0; i < topics.length; i += FORGET_BATCH) {
      try {
        forgotten += (await deps.agents.forget({ topics: topics.slice(i, i + FORGET_BATCH) }, settings(res, deps.timeouts.research))).forgotten;
      } catch (err) {
        const failure = agentFailure('research', err);
        return { topics: topics.length, reached: false, forgotten, error: `${failure.message}; cached search results expire with the research cache's TTL (SEARCH_CACHE_TTL_MS)` };
      }
    }
    return { topics: topics.length, reached: true, forgotten };
  };

  return router;
}
