import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}
export type ReadinessCheck = () => Promise<ReadinessReport>;

export interface AdminServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Runs on every /readyz; must answer within `readinessTimeoutMs` or counts as not ready. */
  readiness: ReadinessCheck;
  readinessTimeoutMs?: number;
}

export interface AdminServer {
  url: string;
  port: number;
  /** Makes /readyz answer 503 from now on (draining), whatever the checks say. */
  setDraining(): void;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

async function withTimeout(check: ReadinessCheck, ms: number): Promise<ReadinessReport> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessReport>((resolve) => {
    timer = setTimeout(() => resolve({ ready: false, checks: { readiness: { ok: false, detail: `no answer in ${ms} ms` } } }), ms);
  });
  try {
    return await Promise.race([
      check().catch((err: unknown) => ({
        ready: false,
        checks: { readiness: { ok: false, detail: err instanceof Error ? err.message : String(err) } },
      })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The admin port: `/healthz` (the process is alive), `/readyz` (it can serve: its SVID is
 * loaded and its dependencies answer) and `/metrics` (Prometheus text format). Separate from
 * the service port so that probes and scrapes never need a client certificate.
 */
export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  let draining = false;
  const timeoutMs = opts.readinessTimeoutMs ?? 2000;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    if (path === '/healthz') {
      send(res, 200, 'application/json', '{"status":"ok"}\n');
    } else if (path === '/readyz') {
      void (async () => {
        const report: ReadinessReport = draining
          ? { ready: false, checks: { draining: { ok: false, detail: 'shutting down' } } }
          : await withTimeout(opts.readiness, timeoutMs);
        send(res, report.ready ? 200 : 503, 'application/json', `${JSON.stringify(report)}\n`);
      })();
    } else if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => send(res, 200, opts.registry.contentType, text),
        () => send(res, 500, 'text/plain; charset=utf-8', 'metrics unavailable\n'),
      );
    } else {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.maxConnections = 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    port,
    setDraining: () => {
      draining = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
