import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  DEFAULT_MAX_FILE_BYTES,
  isServablePath,
  listDocuments,
  type CorpusDocument,
} from './documents.js';
import { CorpusError } from './errors.js';
import { parseRequestPath } from './request-path.js';

/** The subset of a pino logger this package uses; a pino `Logger` satisfies it. */
export interface MinimalLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface CorpusServerOptions {
  /** The folder served. Must exist; its real path is fixed when the server starts. */
  dir: string;
  /** Default 127.0.0.1. A host that is not loopback is refused unless `allowPublic`. */
  host?: string;
  /** Default 8010; 0 picks a free port (tests). */
  port?: number;
  /** Lets the server bind a non-loopback host. It is a development server: think twice. */
  allowPublic?: boolean;
  /** Default 256 simultaneous connections; further ones are dropped by Node. */
  maxConnections?: number;
  /** Open connections still busy this long after close() are cut. Default 5,000 ms. */
  closeGraceMs?: number;
  /** Requests and refusals are logged here; without it the server logs nothing. */
  logger?: MinimalLogger;
  /** Milliseconds to wait before answering each page (not /healthz): a slow web for benchmarks and tests. */
  latencyMs?: number;
}

export interface CorpusServer {
  /** `http://127.0.0.1:PORT` (the host as given, IPv6 in brackets). */
  url: string;
  port: number;
  /** Stops accepting, closes idle keep-alive connections, waits for busy ones; idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_CORPUS_PORT = 8010;
export const DEFAULT_CORPUS_HOST = '127.0.0.1';

const INDEX_TTL_MS = 5_000;
const TEXT = 'text/plain; charset=utf-8';
const HTML = 'text/html; charset=utf-8';
// Pages are data for the agents, not something to run: a browser opening one gets no scripts.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; sandbox";

/** True for `localhost`, 127.0.0.0/8, `::1` and IPv4-mapped 127.0.0.0/8 (any spelling). */
export function isLoopbackHost(host: string): boolean {
  const bare = unbracket(host);
  if (bare.toLowerCase() === 'localhost') return true;
  if (isIP(bare) === 4) return bare.split('.')[0] === '127';
  if (isIP(bare) !== 6) return false;
  try {
    // WHATWG URL gives the one canonical, compressed spelling of an IPv6 address.
    const canonical = new URL(`http://[${bare}]/`).hostname;
    return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
  } catch {
    return false; // e.g. a zone id: link-local, not loopback
  }
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * Serves the documents under `opts.dir` over HTTP: `GET|HEAD /<path>` for a listed file, `/`
 * for an HTML index, `/healthz` for liveness. Anything outside the folder, a dotfile or an
 * unlisted extension is a plain 404 that never names a filesystem path.
 *
 * Resolves once listening; rejects with CORPUS_ERR_PUBLIC_HOST for a non-loopback host without
 * `allowPublic`, CORPUS_ERR_NOT_A_DIRECTORY for a bad `dir`, or the listen error (EADDRINUSE).
 * The caller must `close()` the returned server.
 */
export async function startCorpusServer(opts: CorpusServerOptions): Promise<CorpusServer> {
  const host = unbracket(opts.host ?? DEFAULT_CORPUS_HOST);
  const port = opts.port ?? DEFAULT_CORPUS_PORT;
  const logger = opts.logger;
  if (!isLoopbackHost(host) && opts.allowPublic !== true) {
    throw new CorpusError(
      'CORPUS_ERR_PUBLIC_HOST',
      `corpus: refusing to bind non-loopback host ${host}; the corpus server is for development (allowPublic to override)`,
    );
  }
  let rootReal: string;
  try {
    rootReal = await realpath(opts.dir);
  } catch (err) {
    throw new CorpusError('CORPUS_ERR_NOT_A_DIRECTORY', 'corpus: the corpus folder cannot be read', { cause: err });
  }
  if (!(await stat(rootReal)).isDirectory()) {
    throw new CorpusError('CORPUS_ERR_NOT_A_DIRECTORY', 'corpus: the corpus path is not a folder');
  }

  let indexCache: { at: number; documents: Promise<CorpusDocument[]> } | undefined;
  const documents = (): Promise<CorpusDocument[]> => {
    const now = Date.now();
    if (indexCache === undefined || now - indexCache.at > INDEX_TTL_MS) {
      const pending = listDocuments(rootReal);
      pending.catch(() => {
        indexCache = undefined;
      });
      indexCache = { at: now, documents: pending };
    }
    return indexCache.documents;
  };

  const server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      logger?.info(
        {
          method: req.method,
          path: (req.url ?? '').slice(0, 200),
          status: res.statusCode,
          durationMs: Number(process.hrtime.bigint() - started) / 1e6,
          ...(res.writableFinished ? {} : { aborted: true }),
        },
        'corpus request',
      );
    });
    handle(req, res).catch((err: unknown) => {
      logger?.error({ err, path: (req.url ?? '').slice(0, 200) }, 'corpus: request failed');
      if (!res.headersSent) send(res, 500, TEXT, 'internal error\n');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxRequestsPerSocket = 1_000;
  server.maxConnections = opts.maxConnections ?? 256;
  server.setTimeout(60_000);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? '';
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, TEXT, 'method not allowed\n');
      return;
    }
    const target = req.url ?? '';
    const pathOnly = target.split('?')[0];
    if (pathOnly === '/healthz') {
      send(res, 200, TEXT, 'ok\n');
      return;
    }
    if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
    if (pathOnly === '/') {
      let docs: CorpusDocument[];
      try {
        docs = await documents();
      } catch (err) {
        logger?.error({ err }, 'corpus: listing the corpus failed');
        send(res, 500, TEXT, 'index unavailable\n');
        return;
      }
      send(res, 200, HTML, renderIndex(docs));
      return;
    }
    const parsed = parseRequestPath(target);
    if (!parsed.ok) {
      logger?.warn({ reason: parsed.reason, path: target.slice(0, 200) }, 'corpus: refused request path');
      if (parsed.reason === 'malformed-encoding' || parsed.reason === 'not-origin-form') {
        send(res, 400, TEXT, 'bad request\n');
      } else {
        notFound(res);
      }
      return;
    }
    await serveFile(req, res, parsed.segments, parsed.contentType);
  }

  async function serveFile(req: IncomingMessage, res: ServerResponse, segments: string[], contentType: string): Promise<void> {
    let real: string;
    try {
      real = await realpath(join(rootReal, ...segments));
    } catch {
      notFound(res);
      return;
    }
    if (!isServablePath(rootReal, real)) {
      logger?.warn({ reason: 'outside-or-hidden', path: (req.url ?? '').slice(0, 200) }, 'corpus: refused request path');
      notFound(res);
      return;
    }
    let fh;
    try {
      // The real path was checked above; refusing a symlink swapped in since narrows the race.
      fh = await open(real, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    } catch {
      notFound(res);
      return;
    }
    let streaming = false;
    try {
      const info = await fh.stat();
      if (!info.isFile() || info.size > DEFAULT_MAX_FILE_BYTES) {
        notFound(res);
        return;
      }
      const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
      const lastModified = new Date(info.mtimeMs).toUTCString();
      const headers = {
        'content-type': contentType,
        etag,
        'last-modified': lastModified,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        'content-security-policy': CSP,
      };
      if (notModified(req, etag, info.mtimeMs)) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      res.writeHead(200, { ...headers, 'content-length': info.size });
      if (req.method === 'HEAD' || info.size === 0) {
        res.end();
        return;
      }
      streaming = true;
      // Exactly the size announced, even if the file grows meanwhile; autoClose closes fh.
      const stream = fh.createReadStream({ start: 0, end: info.size - 1 });
      await pipeline(stream, res).catch((err: unknown) => {
        // A client that goes away mid-body is routine, not an error.
        if ((err as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
      });
    } finally {
      if (!streaming) await fh.close();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger?.error({ err }, 'corpus: server error'));
  const boundPort = (server.address() as AddressInfo).port;
  const url = `http://${isIP(host) === 6 ? `[${host}]` : host}:${boundPort}`;
  logger?.info({ url }, 'corpus server listening');

  let closing: Promise<void> | undefined;
  const graceMs = opts.closeGraceMs ?? 5_000;
  return {
    url,
    port: boundPort,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close((err) => {
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': CSP,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function notFound(res: ServerResponse): void {
  send(res, 404, TEXT, 'not found\n');
}

function notModified(req: IncomingMessage, etag: string, mtimeMs: number): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    const weak = (tag: string): string => tag.trim().replace(/^W\//, '');
    return ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((tag) => weak(tag) === weak(etag));
  }
  const since = req.headers['if-modified-since'];
  if (since === undefined) return false;
  const sinceMs = Date.parse(since);
  return !Number.isNaN(sinceMs) && Math.floor(mtimeMs / 1000) * 1000 <= sinceMs;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function hrefFor(path: string): string {
  return `/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** The `/` page: every document with its title, path, type and size. */
export function renderIndex(documents: readonly CorpusDocument[]): string {
  const items = documents
    .map(
      (doc) =>
        `<li><a href="${escapeHtml(hrefFor(doc.path))}">${escapeHtml(doc.title)}</a> ` +
        `<code>${escapeHtml(doc.path)}</code> <small>${escapeHtml(doc.contentType.split(';')[0] ?? '')}, ${doc.bytes} bytes</small></li>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Corpus index</title></head>
<body>
<h1>Corpus index</h1>
<p>${documents.length} documents.</p>
<ul>
${items}
</ul>
</body>
</html>
`;
}
