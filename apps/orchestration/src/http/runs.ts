import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { principalOf } from '@stats-agent/auth';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import type { Run, RunEvent, RunService } from '../runs.js';
import { describeIssues, orchestrateBodySchema } from './schemas.js';

export interface RunsRouterDeps {
  runs: RunService;
  bodyLimitBytes: number;
  /** The principal a request acts for; runs are owned by it and visible only to it. */
  ownerOf: (res: Response) => string;
  /** Middleware run before each route: authentication and scope checks (`create` needs search, the rest read). */
  guards?: { create?: RequestHandler[]; read?: RequestHandler[] };
  /** A comment line keeps idle event streams open through proxies. */
  heartbeatMs?: number;
}

const runIdSchema = z.string().regex(/^run_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'is not a run id');
const listQuerySchema = z.strictObject({
  limit: z.coerce.number({ error: 'must be a number' }).int('must be an integer').min(1).max(100).default(20),
});
const eventsQuerySchema = z.strictObject({
  after: z.coerce.number({ error: 'must be a number' }).int('must be an integer').min(0).optional(),
});
const lastEventIdSchema = z.coerce.number().int().min(0);

/**
 * Who owns what a request creates: `<kind>:<id>` of the principal the edge authenticated (so an
 * API key id and a token subject can never share runs), `anonymous` without authentication.
 */
export function ownerOf(res: Response): string {
  const p = principalOf(res);
  return p ? `${p.kind}:${p.id}` : 'anonymous';
}

function view(run: Run): object {
  return {
    run_id: run.id,
    status: run.status,
    workflow_version: run.workflow_version,
    topic: run.input.topic,
    request: run.input,
    created_at: run.created_at,
    updated_at: run.updated_at,
    attempts: run.attempts,
    progress: run.progress,
    result: run.result,
    error: run.error,
    links: { self: `/v1/runs/${run.id}`, events: `/v1/runs/${run.id}/events` },
  };
}

function sse(res: Response, e: RunEvent): void {
  res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify({ ...e.data, at: e.at })}\n\n`);
}

/**
 * `POST /v1/runs` (202 + the run), `GET /v1/runs` (the caller's runs), `GET /v1/runs/{id}`, and
 * `GET /v1/runs/{id}/events`: Server-Sent Events — the events so far (after `Last-Event-ID` or
 * `?after=`), then each new one, ending with `done` or `error` when the run ends.
 */
export function createRunsRouter(deps: RunsRouterDeps): express.Router {
  const router = express.Router();
  const create = deps.guards?.create ?? [];
  const read = deps.guards?.read ?? [];
  const wrap = (fn: (req: Request, res: Response) => Promise<void> | void) => (req: Request, res: Response, next: NextFunction) => {
    Promise.resolve()
      .then(() => fn(req, res))
      .catch(next);
  };
  const runOf = async (req: Request, res: Response): Promise<Run> => {
    const id = runIdSchema.safeParse(req.params['id']);
    if (!id.success) throw new HttpError(400, 'invalid_path', `id: ${describeIssues(id.error)}`);
    const run = await deps.runs.get(id.data, deps.ownerOf(res));
    if (!run) throw new HttpError(404, 'not_found', 'no such run');
    return run;
  };
  const requireJson = (req: Request, _res: Response, next: NextFunction): void => {
    next(req.is('application/json') ? undefined : new HttpError(415, 'unsupported_media_type', 'request body must be application/json'));
  };
  const noQuery = (req: Request): void => {
    if (Object.keys(req.query).length > 0) throw new HttpError(400, 'invalid_query', 'this endpoint takes no query parameters');
  };

  router.post(
    '/v1/runs',
    ...create,
    requireJson,
    express.json({ limit: deps.bodyLimitBytes, strict: true, type: 'application/json' }),
    wrap(async (req, res) => {
      noQuery(req);
      const body = orchestrateBodySchema.safeParse(req.body);
      if (!body.success) throw new HttpError(400, 'invalid_request', describeIssues(body.error));
      const requestId = (res.locals as { requestId?: string }).requestId;
      const run = await deps.runs.create(deps.ownerOf(res), body.data, {
        ...(requestId ? { requestId } : {}),
        ...(req.socket.remoteAddress ? { sourceIp: req.socket.remoteAddress } : {}),
      });
      res.status(202).location(`/v1/runs/${run.id}`).json(view(run));
    }),
  );

  router.get(
    '/v1/runs',
    ...read,
    wrap(async (req, res) => {
      const q = listQuerySchema.safeParse(req.query);
      if (!q.success) throw new HttpError(400, 'invalid_query', describeIssues(q.error));
      const runs = await deps.runs.list(deps.ownerOf(res), q.data.limit);
      res.json({
        runs: runs.map((r) => ({ run_id: r.id, status: r.status, topic: r.input.topic, workflow_version: r.workflow_version, created_at: r.created_at, updated_at: r.updated_at })),
      });
    }),
  );

  router.get(
    '/v1/runs/:id',
    ...read,
    wrap(async (req, res) => {
      noQuery(req);
      res.json(view(await runOf(req, res)));
    }),
  );

  router.get(
    '/v1/runs/:id/events',
    ...read,
    wrap(async (req, res) => {
      const q = eventsQuerySchema.safeParse(req.query);
      if (!q.success) throw new HttpError(400, 'invalid_query', describeIssues(q.error));
      const lastId = lastEventIdSchema.safeParse(req.get('last-event-id'));
      const after = q.data.after ?? (lastId.success ? lastId.data : 0);
      const run = await runOf(req, res);
      res.status(200).set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
      res.flushHeaders();
      const timer: { heartbeat?: NodeJS.Timeout; unfollow?: (() => void) | undefined } = {};
      const finish = (): void => {
        clearInterval(timer.heartbeat);
        timer.unfollow?.();
        if (!res.writableEnded) res.end();
      };
      let ended = false;
      timer.unfollow = await deps.runs.follow(run, after, (e) => {
        sse(res, e);
        if (e.type !== 'progress') {
          ended = true;
          setImmediate(finish);
        }
      });
      if (!timer.unfollow || ended) {
        finish();
        return;
      }
      timer.heartbeat = setInterval(() => res.write(': keep-alive\n\n'), deps.heartbeatMs ?? 15_000);
      timer.heartbeat.unref();
      res.on('close', finish);
    }),
  );
  return router;
}
