import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError } from '../errors.js';

const ALLOW_METHODS = 'GET, POST';
const ALLOW_HEADERS = 'authorization, content-type, x-api-key, x-request-id, last-event-id';
const EXPOSE_HEADERS = 'x-request-id, retry-after, location, ratelimit-limit, ratelimit-remaining, ratelimit-reset, ratelimit-policy';

/**
 * CORS for exactly the listed origins (no wildcard, no credentials mode: the API takes bearer
 * headers, not cookies). A preflight from an allowed origin is answered 204 here, before
 * authentication; one from any other origin is refused 403. A simple request from another
 * origin gets no CORS headers, so the browser will not show it the answer.
 */
export function corsMiddleware(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req: Request, res: Response, next: NextFunction) => {
    res.vary('Origin');
    const origin = req.get('origin');
    if (origin === undefined) {
      next();
      return;
    }
    const preflight = req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined;
    if (!allowed.has(origin)) {
      next(preflight ? new HttpError(403, 'cors_origin_denied', 'this origin may not call the API') : undefined);
      return;
    }
    res.setHeader('access-control-allow-origin', origin);
    if (!preflight) {
      res.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
      next();
      return;
    }
    res.setHeader('access-control-allow-methods', ALLOW_METHODS);
    res.setHeader('access-control-allow-headers', ALLOW_HEADERS);
    res.setHeader('access-control-max-age', '600');
    res.status(204).end();
  };
}
