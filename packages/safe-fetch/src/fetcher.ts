import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { charsetFromContentType, decodeText, sniffHtmlCharset } from './charset.js';
import { createConnector } from './connector.js';
import type { Connector, ConnectorOptions, Resolver } from './connector.js';
import { FetchError, refusalReason } from './errors.js';
import { checkUrl, resolvePolicy } from './policy.js';
import type { FetchPolicy } from './policy.js';

/** A page as fetched. `text` is empty for types that are not text (PDF). */
export interface FetchedPage {
  /** The final URL, after redirects. */
  url: string;
  status: number;
  /** The MIME type only, lower case ("text/html"). */
  contentType: string;
  /** The encoding `text` was decoded with (WHATWG name), "" when the type is not text. */
  charset: string;
  body: Buffer;
  text: string;
  fetchedAt: Date;
  /** Length of `body` (after content decoding). */
  bytes: number;
}

export interface FetchOptions {
  /** Aborting it rejects the fetch with FETCH_ERR_NETWORK, the signal's reason as the cause. */
  signal?: AbortSignal;
  /** Extra request headers, sent only to the origin of the URL asked for, not after a redirect elsewhere. */
  headers?: Record<string, string>;
}

/** Hooks into the fetcher's parts, for metrics and for tests. None of them can bypass the policy. */
export interface FetcherHooks {
  /** Replaces `dns.lookup(host, { all: true })` in the connector (tests pass a stub resolver). */
  resolve?: Resolver;
  /**
   * Opens a socket to an address the policy has already checked (see {@link ConnectorOptions}).
   * Tests pass one that records and redirects to a loopback sentinel, or refuses.
   */
  dial?: Connector;
  /**
   * Called once for every fetch the policy refuses, with a bounded label (`loopback`,
   * `private`, `metadata`, …, `port`, `scheme`, `credentials`; see `refusalReason`) and the
   * error, so services can count `stats_fetch_refused_total{reason}`. Must not throw (if it does,
   * the error is ignored and the fetch still rejects with the refusal).
   */
  onRefusal?: (reason: string, err: FetchError) => void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const CONNECTIONS_PER_ORIGIN = 4;
const DRAIN_LIMIT = 16 * 1024;
// Headers a caller may not set: they belong to the connection or to the fetcher.
const RESERVED_HEADERS = new Set([
  'host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'accept-encoding', 'upgrade', 'te', 'trailer',
  'proxy-authorization', 'proxy-connection',
]);

/**
 * Fetches web pages within a {@link FetchPolicy}: allowed schemes only, no credentials in URLs,
 * public addresses and ports 80/443 only unless the allow list opens more (checked on the URL and
 * again, after resolving once, in the connector: see {@link createConnector}),
 * redirects followed by hand and re-checked at every hop, a total timeout, a byte cap enforced
 * while streaming, and a content-type allowlist. Owns an undici Agent (keep-alive, a few
 * connections per origin); proxies from HTTP(S)_PROXY are never used. Never logs.
 * Call {@link close} when done: it waits for requests in flight and closes the sockets.
 */
export class PageFetcher {
  readonly policy: Readonly<FetchPolicy>;
  private readonly agent: Agent;
  private readonly onRefusal: FetcherHooks['onRefusal'];

  /** Throws a TypeError or RangeError when the policy is invalid (a bad `allow` entry included). */
  constructor(policy?: Partial<FetchPolicy>, hooks: FetcherHooks = {}) {
    this.policy = resolvePolicy(policy);
    this.onRefusal = hooks.onRefusal;
    const connectorOptions: ConnectorOptions = {};
    if (hooks.resolve !== undefined) connectorOptions.resolve = hooks.resolve;
    if (hooks.dial !== undefined) connectorOptions.dial = hooks.dial;
    this.agent = new Agent({
      connect: createConnector(this.policy, connectorOptions),
      connections: CONNECTIONS_PER_ORIGIN,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 30_000,
      headersTimeout: this.policy.timeoutMs,
      bodyTimeout: this.policy.timeoutMs,
    });
  }

  /**
   * Fetches `url` with GET. Resolves with the page once the whole body is read. Rejects with a
   * FetchError (see its codes) when the policy refuses the URL, a redirect, the status, the type
   * or the size, when the total timeout passes (FETCH_ERR_TIMEOUT), on a network error or when
   * the caller aborts (FETCH_ERR_NETWORK, with the signal's reason as the cause). Throws a
   * TypeError for a reserved header in `opts.headers` (Host, Connection, Accept-Encoding…).
   */
  async fetch(url: string, opts: FetchOptions = {}): Promise<FetchedPage> {
    try {
      return await this.fetchWithin(url, opts);
    } catch (err) {
      const reason = refusalReason(err);
      if (reason !== undefined && this.onRefusal !== undefined) {
        try {
          this.onRefusal(reason, err as FetchError);
        } catch {
          // A metrics hook must not change the outcome.
        }
      }
      throw err;
    }
  }

  private async fetchWithin(url: string, opts: FetchOptions): Promise<FetchedPage> {
    let current = checkUrl(url, this.policy);
    const callerHeaders = checkHeaders(opts.headers);
    const origin = current.origin;
    const caller = opts.signal;
    if (caller !== undefined && isAborted(caller)) throw aborted(current, caller);
    if (this.agent.closed) throw new FetchError('FETCH_ERR_NETWORK', current.href, 'the fetcher is closed');
    const timeout = AbortSignal.timeout(this.policy.timeoutMs);
    const signal = caller === undefined ? timeout : AbortSignal.any([caller, timeout]);

    try {
      for (let redirects = 0; ; redirects++) {
        const headers = { ...this.baseHeaders(), ...(current.origin === origin ? callerHeaders : {}) };
        const res = await request(current, { dispatcher: this.agent, method: 'GET', headers, signal });
        const status = res.statusCode;
        if (REDIRECTS.has(status)) {
          await drain(res.body, signal);
          const location = header(res.headers, 'location');
          if (location === undefined) {
            throw new FetchError('FETCH_ERR_HTTP_STATUS', current.href, `redirect ${status} without a Location`, { status });
          }
          if (redirects >= this.policy.maxRedirects) {
            throw new FetchError('FETCH_ERR_REDIRECTS', current.href, `more than ${this.policy.maxRedirects} redirects`);
          }
          current = checkUrl(location, this.policy, current);
          continue;
        }
        if (status < 200 || status > 299) {
          await drain(res.body, signal);
          throw new FetchError('FETCH_ERR_HTTP_STATUS', current.href, `HTTP status ${status}`, { status });
        }
        return await this.readPage(current, res);
      }
    } catch (err) {
      // Read again: the signal may have been aborted while the request was in flight.
      if (caller !== undefined && isAborted(caller) && !(err instanceof FetchError)) throw aborted(current, caller);
      throw translate(err, current, timeout);
    }
  }

  /** Closes the agent: waits for requests in flight, then closes every socket. */
  async close(): Promise<void> {
    if (!this.agent.closed) await this.agent.close();
  }

  private baseHeaders(): Record<string, string> {
    return {
      'user-agent': this.policy.userAgent,
      accept: this.policy.allowedContentTypes.join(', '),
      'accept-encoding': 'gzip, deflate, br',
    };
  }

  private async readPage(url: URL, res: Dispatcher.ResponseData): Promise<FetchedPage> {
    const contentTypeHeader = header(res.headers, 'content-type');
    const contentType = (contentTypeHeader?.split(';')[0] ?? '').trim().toLowerCase();
    if (contentType === '' || !this.policy.allowedContentTypes.includes(contentType)) {
      discard(res.body);
      const shown = contentType === '' ? 'no content type' : `content type ${contentType}`;
      throw new FetchError('FETCH_ERR_CONTENT_TYPE', url.href, `${shown} is not allowed`);
    }
    const length = Number(header(res.headers, 'content-length') ?? Number.NaN);
    if (Number.isFinite(length) && length > this.policy.maxBytes) {
      discard(res.body);
      throw new FetchError('FETCH_ERR_TOO_LARGE', url.href, `Content-Length ${length} exceeds ${this.policy.maxBytes} bytes`);
    }
    const body = await readBody(res.body, header(res.headers, 'content-encoding'), this.policy.maxBytes, url);
    const isText = contentType.startsWith('text/') || contentType.endsWith('+xml') || contentType.endsWith('/xml');
    let text = '';
    let charset = '';
    if (isText) {
      const label = charsetFromContentType(contentTypeHeader) ?? (contentType.includes('html') ? sniffHtmlCharset(body) : undefined);
      ({ text, charset } = decodeText(body, label));
    }
    return { url: url.href, status: res.statusCode, contentType, charset, body, text, fetchedAt: new Date(), bytes: body.length };
  }
}

function checkHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const key = name.toLowerCase();
    if (RESERVED_HEADERS.has(key) || key.startsWith('proxy-')) throw new TypeError(`safe-fetch: header ${name} may not be set by the caller`);
    out[key] = value;
  }
  return out;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Reads a little of an unwanted body so the connection can be reused, else drops it. */
async function drain(body: Dispatcher.ResponseData['body'], signal: AbortSignal): Promise<void> {
  try {
    await body.dump({ limit: DRAIN_LIMIT, signal });
  } catch {
    discard(body);
  }
}

/** Drops a body: the connection is closed; the AbortError that undici emits is expected. */
function discard(body: Readable): void {
  body.on('error', ignore);
  body.destroy();
}

function ignore(): void {
  // An error of a stream being thrown away on purpose.
}

function decoders(contentEncoding: string | undefined, url: URL): Transform[] {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  // Codings are listed in the order they were applied; undo them in reverse.
  return codings.reverse().map((c) => {
    if (c === 'gzip' || c === 'x-gzip') return createGunzip();
    if (c === 'deflate') return createInflate();
    if (c === 'br') return createBrotliDecompress();
    throw new FetchError('FETCH_ERR_CONTENT_TYPE', url.href, `content encoding ${c} is not supported`);
  });
}

/**
 * Streams the body through its content decoders and stops as soon as more than `maxBytes` have
 * come out, so neither a huge body nor a compression bomb is ever held in memory.
 */
async function readBody(body: Readable, contentEncoding: string | undefined, maxBytes: number, url: URL): Promise<Buffer> {
  let chain: Transform[] = [];
  try {
    chain = decoders(contentEncoding, url);
    let stream: Readable = body;
    for (const d of chain) {
      const from = stream;
      from.on('error', (err) => d.destroy(err));
      stream = from.pipe(d);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw new FetchError('FETCH_ERR_TOO_LARGE', url.href, `body exceeds ${maxBytes} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, total);
  } finally {
    if (!body.readableEnded) discard(body);
    for (const d of chain) d.destroy();
  }
}

function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

function aborted(url: URL, signal: AbortSignal): FetchError {
  return new FetchError('FETCH_ERR_NETWORK', url.href, 'aborted by the caller', { cause: signal.reason });
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const ZLIB_CODES = new Set(['Z_DATA_ERROR', 'Z_BUF_ERROR', 'Z_NEED_DICT', 'ERR_BROTLI_DECOMPRESSION_FAILED']);

function translate(err: unknown, url: URL, timeout: AbortSignal): FetchError {
  if (err instanceof FetchError) {
    // The connector's errors carry the origin only: report the URL of the hop that failed.
    if (err.url !== url.origin) return err;
    const options: ConstructorParameters<typeof FetchError>[3] = { cause: err.cause };
    if (err.category !== undefined) options.category = err.category;
    if (err.address !== undefined) options.address = err.address;
    return new FetchError(err.code, url.href, err.message.replace(/^safe-fetch: /, ''), options);
  }
  if (timeout.aborted) return new FetchError('FETCH_ERR_TIMEOUT', url.href, 'timed out', { cause: err });
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  if (TIMEOUT_CODES.has(code)) return new FetchError('FETCH_ERR_TIMEOUT', url.href, 'timed out', { cause: err });
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return new FetchError('FETCH_ERR_TOO_LARGE', url.href, 'body too large', { cause: err });
  if (ZLIB_CODES.has(code)) return new FetchError('FETCH_ERR_NETWORK', url.href, 'body could not be decoded', { cause: err });
  const detail = err instanceof Error ? err.message : String(err);
  return new FetchError('FETCH_ERR_NETWORK', url.href, `request failed: ${detail}`, { cause: err });
}
