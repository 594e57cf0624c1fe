import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { AuditEvent } from '@stats-agent/audit';
import { createEdgeMiddleware, EdgeError, failureFields, principalOf, requireScope, type AuthFailure, type Authenticator, type RateLimiter } from '@stats-agent/auth';
import { acceptRequestId, type Logger } from '@stats-agent/logging';
import type { Counter, Histogram } from 'prom-client';
import { HttpError } from '../errors.js';
import { publicResult } from '../runs.js';
import { runWorkflow, type WorkflowVersion } from '../workflows.js';
import { verifyCandidates, type Agents, type OrchestrateResult, type WorkflowSettings } from '../workflow.js';
import { corsMiddleware } from './cors.js';
import { describeIssues, orchestrateBodySchema, orchestrateQuerySchema, verifyBodySchema } from './schemas.js';

export interface HttpAppDeps {
  agents: Agents;
  logger: Logger;
  settings: Omit<WorkflowSettings, 'requestId' | 'signal' | 'deadline'> & { requestTimeoutMs: number };
  bodyLimitBytes: number;
  maxConcurrent: number;
  httpDuration?: Histogram<'route' | 'status'>;
  /** The workflow version a request runs when it pins none. */
  workflowVersion?: WorkflowVersion;
  /** More routes (the runs API), mounted after the built-in ones and before the 404. */
  routers?: express.Router[];
  /**
   * Authentication and rate limiting (packages/auth), applied to every route, the routers'
   * included. Required: there is no app without an authenticator (AUTH_MODE=none is an
   * authenticator too, allowed on loopback only).
   */
  edge: { authenticator: Authenticator; limiter?: RateLimiter };
  /** Browser origins allowed by CORS; none by default (no CORS headers at all). */
  corsOrigins?: readonly string[];
  /** express `trust proxy` entries; none by default, so the socket's address is the client's. */
  trustProxy?: readonly string[];
  /** Refusals at the edge (401/403/429/503), by reason and status. */
  authFailures?: Counter<'reason' | 'status'>;
  /**
   * The edge's audit events: `auth.success` for every authenticated request that passed the
   * rate limit, `auth.failure` (401, 503), `authz.denied` (403), `rate_limit.exceeded` (429).
   * Must not throw or block (`AuditLog.record`).
   */
  audit?: (event: AuditEvent) => void;
}

/** `http:<METHOD>:<path>` when the path is a plain identifier, else `http:<METHOD>:other` (a strange path must not cost the event). */
function httpResource(req: Request): string {
  return `http:${req.method}:${/^\/[A-Za-z0-9/_.-]{0,127}$/.test(req.path) ? req.path : 'other'}`;
}

interface Locals {
  requestId: string;
  logger: Logger;
}

function sendError(res: Response, err: { status: number; code: string; message: string }): void {
  const { requestId } = res.locals as Locals;
  res.status(err.status).json({ error: { code: err.code, message: err.message, request_id: requestId } });
}

/** A claims report: one line per verified statistic, as a person would cite it. */
function claims(result: OrchestrateResult): object {
  return {
    topic: result.topic,
    claims: result.statistics.map((s) => ({
      claim: `${s.name}: ${s.value}${s.unit === '%' ? '%' : s.unit ? ` ${s.unit}` : ''}`,
      quote: s.excerpt,
      source: s.source,
      source_url: s.source_url,
      verified: s.verified,
    })),
    verified_count: result.verified_count,
    partial: result.partial,
    target_count: result.target_count,
    timestamp: result.timestamp,
  };
}

/**
 * The public HTTP API: `POST /v1/orchestrate` and `POST /v1/verify` (and `/orchestrate`,
 * `/verify`, the reference system's paths). Builds the app without listening; tests call it
 * directly.
 */
export function createHttpApp(deps: HttpAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy?.length ? [...deps.trustProxy] : false);
  app.use(helmet());
  let inFlight = 0;

  app.use((req: Request, res: Response, next: NextFunction) => {
    const requestId = acceptRequestId(req.get('x-request-id'));
    const started = process.hrtime.bigint();
    res.locals['requestId'] = requestId;
    res.locals['logger'] = deps.logger.child({ request_id: requestId });
    res.setHeader('x-request-id', requestId);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      deps.httpDuration?.observe({ route, status: String(res.statusCode) }, ms / 1000);
      // Who asked, without the credential: the key id for API keys, only the kind for tokens (a sub may identify a person).
      const p = principalOf(res);
      const who = p ? { principal_kind: p.kind, ...(p.kind === 'api_key' ? { key_id: p.id } : {}) } : {};
      (res.locals['logger'] as Logger).info({ method: req.method, route, status: res.statusCode, duration_ms: Math.round(ms), ...who }, 'request');
    });
    next();
  });

  // CORS before authentication: a browser's preflight carries no credentials.
  if (deps.corsOrigins?.length) app.use(corsMiddleware(deps.corsOrigins));
  // Authenticate → rate limit, for every route below (unknown paths too: 401 before 404).
  app.use(createEdgeMiddleware({ authenticator: deps.edge.authenticator, ...(deps.edge.limiter ? { limiter: deps.edge.limiter } : {}) }));
  if (deps.audit) {
    const audit = deps.audit;
    app.use((req: Request, res: Response, next: NextFunction) => {
      const p = principalOf(res);
      if (p && p.kind !== 'anonymous') {
        audit({ actor: { kind: p.kind, id: p.id }, action: 'auth.success', resource: httpResource(req), outcome: 'success', source_ip: req.ip, request_id: (res.locals as Locals).requestId });
      }
      next();
    });
  }
  const canSearch = requireScope('stats:search');

  const requireJson = (req: Request, _res: Response, next: NextFunction): void => {
    if (!req.is('application/json')) {
      next(new HttpError(415, 'unsupported_media_type', 'request body must be application/json'));
      return;
    }
    next();
  };

  /**
   * Runs `work` in one of `maxConcurrent` slots (503 at once when none is free, never a queue),
   * with a signal that aborts when the client goes away.
   */
  const inSlot = async (res: Response, work: (signal: AbortSignal) => Promise<void>): Promise<void> => {
    if (inFlight >= deps.maxConcurrent) throw new HttpError(503, 'busy', 'too many requests in progress; retry shortly');
    inFlight++;
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client went away'));
    });
    try {
      await work(controller.signal);
    } finally {
      inFlight--;
    }
  };

  const handler = async (req: Request, res: Response): Promise<void> => {
    const locals = res.locals as Locals;
    const query = orchestrateQuerySchema.safeParse(req.query);
    if (!query.success) throw new HttpError(400, 'invalid_query', describeIssues(query.error));
    const body = orchestrateBodySchema.safeParse(req.body);
    if (!body.success) throw new HttpError(400, 'invalid_request', describeIssues(body.error));
    await inSlot(res, async (signal) => {
      const result = await runWorkflow(
        body.data,
        deps.agents,
        { ...deps.settings, requestId: locals.requestId, signal, deadline: Date.now() + deps.settings.requestTimeoutMs },
        deps.workflowVersion,
      );
      locals.logger.info(
        { verified: result.verified_count, failed: result.failed_count, rounds: result.rounds, partial: result.partial, workflow_version: result.workflow_version },
        'orchestration done',
      );
      res.status(200).json(query.data.format === 'claims' ? claims(result) : publicResult(result));
    });
  };

  const verifyHandler = async (req: Request, res: Response): Promise<void> => {
    const locals = res.locals as Locals;
    if (Object.keys(req.query).length > 0) throw new HttpError(400, 'invalid_query', 'this endpoint takes no query parameters');
    const body = verifyBodySchema.safeParse(req.body);
    if (!body.success) throw new HttpError(400, 'invalid_request', describeIssues(body.error));
    await inSlot(res, async (signal) => {
      const candidates = body.data.candidates.map((c) => ({ ...c, relevance: 0 }));
      const result = await verifyCandidates(candidates, deps.agents, {
        timeouts: deps.settings.timeouts,
        requestId: locals.requestId,
        signal,
        deadline: Date.now() + deps.settings.requestTimeoutMs,
      });
      locals.logger.info({ candidates: result.results.length, verified: result.verified_count }, 'verification done');
      res.status(200).json(result);
    });
  };

  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };
  const json = express.json({ limit: deps.bodyLimitBytes, strict: true, type: 'application/json' });
  for (const path of ['/v1/orchestrate', '/orchestrate']) app.post(path, canSearch, requireJson, json, wrap(handler));
  for (const path of ['/v1/verify', '/verify']) app.post(path, canSearch, requireJson, json, wrap(verifyHandler));

  for (const router of deps.routers ?? []) app.use(router);

  app.use((_req: Request, _res: Response, next: NextFunction) => next(new HttpError(404, 'not_found', 'no such endpoint')));

  // Express needs the four-argument signature to recognise an error handler.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const locals = res.locals as Locals;
    if (err instanceof EdgeError) {
      deps.authFailures?.inc({ reason: err.reason, status: String(err.status) });
      if (deps.audit) {
        const p = principalOf(res);
        const keyId = (err as AuthFailure).keyId;
        deps.audit({
          // Who: the principal (403, 429), the key id a failed key named, else nobody known.
          actor: p && p.kind !== 'anonymous' ? { kind: p.kind, id: p.id } : keyId ? { kind: 'api_key', id: keyId } : { kind: 'anonymous', id: 'unknown' },
          action: err.status === 429 ? 'rate_limit.exceeded' : err.status === 403 ? 'authz.denied' : 'auth.failure',
          resource: httpResource(_req),
          outcome: err.status === 401 || err.status === 503 ? 'failure' : 'denied',
          source_ip: _req.ip,
          request_id: locals.requestId,
          detail: { reason: err.reason, status: err.status, ...((err as AuthFailure).credentialKind ? { credential_kind: (err as AuthFailure).credentialKind } : {}) },
        });
      }
      // 429s are counted but logged at debug: a flood must not become a flood of log lines.
      locals.logger[err.status === 429 ? 'debug' : 'warn'](failureFields(err, res), 'request refused at the edge');
      for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
      sendError(res, err);
      return;
    }
    if (err instanceof HttpError) {
      if (err.status >= 500) locals.logger.warn({ err, code: err.code }, 'request failed');
      sendError(res, err);
      return;
    }
    const type = (err as { type?: string }).type;
    if (type === 'entity.parse.failed') return sendError(res, new HttpError(400, 'invalid_json', 'request body is not valid JSON'));
    if (type === 'entity.too.large') return sendError(res, new HttpError(413, 'payload_too_large', `request body exceeds ${deps.bodyLimitBytes} bytes`));
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
      return sendError(res, new HttpError(415, 'unsupported_media_type', 'request body must be UTF-8 JSON'));
    }
    locals.logger.error({ err }, 'unhandled error');
    sendError(res, new HttpError(500, 'internal', 'internal error'));
  });
  return app;
}
