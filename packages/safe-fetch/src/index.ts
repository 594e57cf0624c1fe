/**
 * Bounded page fetching: http(s) only, no credentials in URLs, a total deadline, a size cap
 * enforced while streaming, a content-type allowlist, manual redirects re-checked hop by hop,
 * charset decoding. Proxies from the environment are never used.
 *
 * The address policy against SSRF (private, loopback, link-local and metadata ranges, checked
 * at connect time on the resolved address) plugs into `PageFetcher` as its connector; it
 * arrives with the security issue.
 */
import iconv from 'iconv-lite';
import { Agent, request, type Dispatcher } from 'undici';

export interface FetchPolicy {
  allowedSchemes: Array<'http:' | 'https:'>;
  /** Whole fetch, redirects included. */
  timeoutMs: number;
  connectTimeoutMs: number;
  maxBytes: number;
  allowedContentTypes: string[];
  maxRedirects: number;
  userAgent: string;
}

export const defaultFetchPolicy: Readonly<FetchPolicy> = Object.freeze<FetchPolicy>({
  allowedSchemes: ['http:', 'https:'],
  timeoutMs: 15_000,
  connectTimeoutMs: 5_000,
  maxBytes: 5 * 1024 * 1024,
  allowedContentTypes: ['text/html', 'application/xhtml+xml', 'text/plain', 'text/markdown', 'application/pdf'],
  maxRedirects: 5,
  userAgent: 'stats-agent/0.1',
});

export type FetchErrorCode =
  | 'FETCH_ERR_SCHEME'
  | 'FETCH_ERR_CREDENTIALS'
  | 'FETCH_ERR_TIMEOUT'
  | 'FETCH_ERR_TOO_LARGE'
  | 'FETCH_ERR_CONTENT_TYPE'
  | 'FETCH_ERR_HTTP_STATUS'
  | 'FETCH_ERR_REDIRECTS'
  | 'FETCH_ERR_NETWORK'
  | 'FETCH_ERR_INVALID_URL';

export class FetchError extends Error {
  constructor(
    readonly code: FetchErrorCode,
    readonly url: string,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(`fetch: ${message}`, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'FetchError';
    if (options?.status !== undefined) this.status = options.status;
  }
  readonly status?: number;
}

/** Machine-readable reason for a failed fetch: `fetch_timeout`, `fetch_http_status`, … */
export function fetchFailureReason(err: unknown): string {
  return err instanceof FetchError ? err.code.replace('FETCH_ERR_', 'fetch_').toLowerCase() : 'fetch_failed';
}

export interface FetchedPage {
  url: string;
  status: number;
  contentType: string;
  charset: string;
  body: Buffer;
  text: string;
  fetchedAt: Date;
  bytes: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function checkUrl(raw: string, policy: FetchPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FetchError('FETCH_ERR_INVALID_URL', raw, 'not an absolute URL');
  }
  if (!policy.allowedSchemes.includes(url.protocol as 'http:' | 'https:')) {
    throw new FetchError('FETCH_ERR_SCHEME', raw, `scheme ${url.protocol} is not allowed`);
  }
  if (url.username || url.password) throw new FetchError('FETCH_ERR_CREDENTIALS', url.origin, 'credentials in URLs are refused');
  return url;
}

function parseContentType(header: string | undefined): { mime: string; charset: string | undefined } {
  if (!header) return { mime: '', charset: undefined };
  const [mime, ...params] = header.split(';');
  const charset = params.map((p) => p.trim()).find((p) => p.toLowerCase().startsWith('charset='));
  return { mime: (mime ?? '').trim().toLowerCase(), charset: charset?.slice(8).replace(/"/g, '').trim().toLowerCase() };
}

function sniffHtmlCharset(body: Buffer): string | undefined {
  const head = body.subarray(0, 1024).toString('latin1');
  return /<meta[^>]+charset\s*=\s*["']?([\w-]+)/i.exec(head)?.[1]?.toLowerCase();
}

/**
 * Decodes with iconv-lite (Node 20's TextDecoder reads windows-1252 as ISO-8859-1, turning
 * curly quotes into C1 controls); an unknown charset falls back to UTF-8. A UTF-8 BOM is dropped.
 */
function decode(body: Buffer, charset: string): { text: string; charset: string } {
  // As browsers do (WHATWG Encoding): these labels mean windows-1252.
  const label = ['iso-8859-1', 'latin1', 'us-ascii', 'ascii', 'l1'].includes(charset) ? 'windows-1252' : charset;
  const known = iconv.encodingExists(label) ? label : 'utf-8';
  return { text: iconv.decode(body, known), charset: known };
}

const header = (headers: Dispatcher.ResponseData['headers'], name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Fetches pages under one policy through its own connection pool; `close()` it when done. */
export class PageFetcher {
  readonly policy: Readonly<FetchPolicy>;
  private readonly agent: Agent;

  constructor(policy: Partial<FetchPolicy> = {}) {
    this.policy = Object.freeze({ ...defaultFetchPolicy, ...policy });
    this.agent = new Agent({
      connections: 8,
      keepAliveTimeout: 10_000,
      headersTimeout: this.policy.timeoutMs,
      bodyTimeout: this.policy.timeoutMs,
      connect: { timeout: this.policy.connectTimeoutMs },
    });
  }

  /** Resolves with the page, or rejects with a FetchError saying why it was refused or failed. */
  async fetch(rawUrl: string, opts: { signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<FetchedPage> {
    const policy = this.policy;
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let url = checkUrl(rawUrl, policy);
    for (let hop = 0; ; hop++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method: 'GET',
          dispatcher: this.agent,
          signal,
          headers: { 'user-agent': policy.userAgent, accept: policy.allowedContentTypes.join(', '), ...opts.headers },
        });
      } catch (err) {
        if (timeout.aborted) throw new FetchError('FETCH_ERR_TIMEOUT', url.href, `no complete answer within ${policy.timeoutMs} ms`, { cause: err });
        throw new FetchError('FETCH_ERR_NETWORK', url.href, 'connection failed', { cause: err });
      }
      if (REDIRECTS.has(res.statusCode)) {
        await res.body.dump().catch(() => undefined);
        const location = header(res.headers, 'location');
        if (!location) throw new FetchError('FETCH_ERR_HTTP_STATUS', url.href, `redirect ${res.statusCode} without Location`, { status: res.statusCode });
        if (hop >= policy.maxRedirects) throw new FetchError('FETCH_ERR_REDIRECTS', url.href, `more than ${policy.maxRedirects} redirects`);
        url = checkUrl(new URL(location, url).href, policy);
        continue;
      }
      if (res.statusCode < 200 || res.statusCode > 299) {
        await res.body.dump().catch(() => undefined);
        throw new FetchError('FETCH_ERR_HTTP_STATUS', url.href, `HTTP ${res.statusCode}`, { status: res.statusCode });
      }
      const type = parseContentType(header(res.headers, 'content-type'));
      if (!policy.allowedContentTypes.includes(type.mime)) {
        await res.body.dump().catch(() => undefined);
        throw new FetchError('FETCH_ERR_CONTENT_TYPE', url.href, `content type ${type.mime || '(none)'} is not allowed`);
      }
      const declared = Number(header(res.headers, 'content-length') ?? Number.NaN);
      if (declared > policy.maxBytes) {
        await res.body.dump().catch(() => undefined);
        throw new FetchError('FETCH_ERR_TOO_LARGE', url.href, `body of ${declared} bytes exceeds ${policy.maxBytes}`);
      }
      const chunks: Buffer[] = [];
      let bytes = 0;
      try {
        for await (const chunk of res.body) {
          const b = chunk as Buffer;
          bytes += b.length;
          if (bytes > policy.maxBytes) {
            res.body.destroy();
            throw new FetchError('FETCH_ERR_TOO_LARGE', url.href, `body exceeds ${policy.maxBytes} bytes`);
          }
          chunks.push(b);
        }
      } catch (err) {
        if (err instanceof FetchError) throw err;
        if (timeout.aborted) throw new FetchError('FETCH_ERR_TIMEOUT', url.href, `no complete answer within ${policy.timeoutMs} ms`, { cause: err });
        throw new FetchError('FETCH_ERR_NETWORK', url.href, 'body read failed', { cause: err });
      }
      const body = Buffer.concat(chunks, bytes);
      const charset = type.charset ?? (type.mime === 'text/html' ? sniffHtmlCharset(body) : undefined) ?? 'utf-8';
      const decoded = decode(body, charset);
      return { url: url.href, status: res.statusCode, contentType: type.mime, charset: decoded.charset, body, text: decoded.text, fetchedAt: new Date(), bytes };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
