import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { SearchProviderError } from './provider.js';

/** Bounds of one provider's HTTP calls. */
export interface HttpLimits {
  /** Deadline of one attempt: connect, headers and whole body. */
  timeoutMs: number;
  /** Largest response body read; a larger one is a SEARCH_ERR_BAD_RESPONSE. */
  maxBytes: number;
  /** Further attempts after a 429, a 5xx or a network error (0..2). */
  maxRetries: number;
  /** First backoff; doubled per retry, with jitter (half to all of it). */
  backoffMs: number;
  /** A Retry-After longer than this is not waited for: the call fails at once. */
  maxRetryAfterMs: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  timeoutMs: 10_000,
  maxBytes: 2 * 1024 * 1024,
  maxRetries: 2,
  backoffMs: 250,
  maxRetryAfterMs: 5_000,
});

export interface ProviderRequest {
  method: 'GET' | 'POST';
  /** May carry the API key (SerpApi): it is never logged, echoed or put in an error. */
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export interface ProviderResponse {
  status: number;
  /** The body as UTF-8 text, at most `maxBytes`. */
  text: string;
  /** Retry-After in milliseconds when the provider sent one. */
  retryAfterMs: number | undefined;
  /** How many requests were sent for this call (1 + retries). */
  attempts: number;
}

/** Test seams: randomness of the jitter and the backoff sleep. */
export interface HttpHooks {
  random?: () => number;
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

/**
 * The HTTP side of one search provider: a dedicated undici Agent (keep-alive, a few
 * connections, no proxy from the environment, no redirects followed), a deadline on every
 * attempt joined with the caller's signal, a cap on the body read, and at most
 * `maxRetries` retries — only after a 429, a 5xx or a network error, with exponential backoff
 * and jitter, honouring Retry-After up to `maxRetryAfterMs`. Errors name the provider and keep
 * no cause: undici's errors may carry the request URL, which holds SerpApi's key.
 */
export class ProviderHttp {
  private readonly agent: Agent;
  private readonly limits: HttpLimits;

  constructor(
    private readonly provider: string,
    limits: Partial<HttpLimits> = {},
    private readonly hooks: HttpHooks = {},
  ) {
    this.limits = { ...DEFAULT_HTTP_LIMITS, ...limits };
    if (!(this.limits.maxRetries >= 0 && this.limits.maxRetries <= 2)) throw new RangeError(`${provider}: maxRetries must be 0..2`);
    if (!(this.limits.timeoutMs > 0) || !(this.limits.maxBytes > 0)) throw new RangeError(`${provider}: timeoutMs and maxBytes must be positive`);
    this.agent = new Agent({
      connections: 4,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      connect: { timeout: this.limits.timeoutMs },
      headersTimeout: this.limits.timeoutMs,
      bodyTimeout: this.limits.timeoutMs,
    });
  }

  /**
   * Sends `req`, retrying as described above; `retryable` decides, for a 429 or 5xx
   * response, whether another attempt can help (a 429 that says the quota is used up cannot).
   * Resolves with the last response whatever its status; rejects with SEARCH_ERR_TIMEOUT,
   * SEARCH_ERR_UNAVAILABLE (network), SEARCH_ERR_BAD_RESPONSE (too large) or
   * SEARCH_ERR_CANCELLED (the caller's signal).
   */
  async send(req: ProviderRequest, signal: AbortSignal | undefined, retryable: (res: ProviderResponse) => boolean = () => true): Promise<ProviderResponse> {
    for (let attempt = 1; ; attempt++) {
      this.throwIfCancelled(signal);
      let res: ProviderResponse;
      try {
        res = await this.attempt(req, signal, attempt);
      } catch (err) {
        const failure = err instanceof SearchProviderError ? err : this.networkError(err);
        const transient = failure.code === 'SEARCH_ERR_UNAVAILABLE' || failure.code === 'SEARCH_ERR_TIMEOUT';
        if (!transient || attempt > this.limits.maxRetries) throw failure;
        await this.backoff(attempt, undefined, signal);
        continue;
      }
      const transientStatus = res.status === 429 || res.status >= 500;
      if (!transientStatus || attempt > this.limits.maxRetries || !retryable(res)) return res;
      if (res.retryAfterMs !== undefined && res.retryAfterMs > this.limits.maxRetryAfterMs) return res;
      await this.backoff(attempt, res.retryAfterMs, signal);
    }
  }

  /** Closes the agent once calls in flight are done. */
  async close(): Promise<void> {
    if (!this.agent.closed) await this.agent.close();
  }

  private async attempt(req: ProviderRequest, caller: AbortSignal | undefined, attempts: number): Promise<ProviderResponse> {
    const timeout = AbortSignal.timeout(this.limits.timeoutMs);
    const signal = caller ? AbortSignal.any([caller, timeout]) : timeout;
    try {
      const res = await request(req.url, {
        dispatcher: this.agent,
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal,
      });
      const declared = Number(firstHeader(res.headers['content-length']) ?? Number.NaN);
      if (Number.isFinite(declared) && declared > this.limits.maxBytes) {
        res.body.destroy();
        throw this.tooLarge();
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > this.limits.maxBytes) {
          res.body.destroy();
          throw this.tooLarge();
        }
        chunks.push(chunk);
      }
      return {
        status: res.statusCode,
        text: Buffer.concat(chunks).toString('utf8'),
        retryAfterMs: parseRetryAfter(firstHeader(res.headers['retry-after'])),
        attempts,
      };
    } catch (err) {
      if (err instanceof SearchProviderError) throw err;
      this.throwIfCancelled(caller);
      if (timeout.aborted) {
        throw new SearchProviderError(this.provider, 'SEARCH_ERR_TIMEOUT', `no complete answer within ${this.limits.timeoutMs} ms`);
      }
      throw this.networkError(err);
    }
  }

  private async backoff(attempt: number, retryAfterMs: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    const random = this.hooks.random ?? Math.random;
    const exp = this.limits.backoffMs * 2 ** (attempt - 1);
    const jittered = exp / 2 + (random() * exp) / 2;
    const delay = Math.min(Math.max(jittered, retryAfterMs ?? 0), this.limits.maxRetryAfterMs);
    try {
      if (this.hooks.sleep) await this.hooks.sleep(delay, signal);
      else await sleep(delay, undefined, { signal });
    } catch {
      this.throwIfCancelled(signal);
      throw new SearchProviderError(this.provider, 'SEARCH_ERR_CANCELLED', 'cancelled by the caller');
    }
  }

  private throwIfCancelled(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new SearchProviderError(this.provider, 'SEARCH_ERR_CANCELLED', 'cancelled by the caller');
  }

  private tooLarge(): SearchProviderError {
    return new SearchProviderError(this.provider, 'SEARCH_ERR_BAD_RESPONSE', `response larger than ${this.limits.maxBytes} bytes`);
  }

  /** Only the error's code goes into the message (undici's messages and causes may hold the URL). */
  private networkError(err: unknown): SearchProviderError {
    const code = (err as { code?: unknown } | null)?.code;
    const shown = typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? ` (${code})` : '';
    return new SearchProviderError(this.provider, 'SEARCH_ERR_UNAVAILABLE', `network error${shown}`);
  }
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After as delay-seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** `text` with every occurrence of each secret replaced, cut to `max` characters. */
export function redact(text: string, secrets: readonly string[], max = 200): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('[redacted]');
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > max ? `${out.slice(0, max - 3)}...` : out;
}
