import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher } from 'undici';
import { checkBaseUrl } from './base-url.js';
import { LlmError, scrub, type LlmErrorCode } from './errors.js';
import { BodyTooLarge, postJson, retryAfterMs, type JsonResponse } from './http.js';
import { InvalidOutput, parseOutput, toCandidates } from './output.js';
import { buildPrompt, type Prompt } from './prompt.js';
import type { ProviderAdapter } from './providers/adapter.js';
import { AnthropicAdapter } from './providers/anthropic.js';
import { GeminiAdapter } from './providers/gemini.js';
import { OpenAiCompatibleAdapter } from './providers/openai.js';
import type { ExtractInput, ExtractResult, Extractor, LlmProviderName } from './types.js';

/** Base URLs by provider (OpenAI-style ones end in /v1, as the OpenAI SDK's baseURL does). */
export const DEFAULT_BASE_URLS: Readonly<Record<LlmProviderName, string | undefined>> = {
  openai: 'https://api.openai.com/v1',
  xai: 'https://api.x.ai/v1',
  ollama: 'http://localhost:11434/v1',
  vllm: undefined, // wherever you run it: LLM_BASE_URL is required
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com',
};

/** Default models: small, cheap, structured-output capable. vLLM serves what you loaded. */
export const DEFAULT_MODELS: Readonly<Record<LlmProviderName, string | undefined>> = {
  openai: 'gpt-4o-mini',
  xai: 'grok-3-mini',
  ollama: 'llama3.1',
  vllm: undefined,
  anthropic: 'claude-haiku-4-5',
  gemini: 'gemini-2.5-flash',
};

/** Providers that refuse calls without a key. */
export const KEY_REQUIRED: ReadonlySet<LlmProviderName> = new Set(['openai', 'xai', 'anthropic', 'gemini']);

export interface LlmExtractorOptions {
  provider: LlmProviderName;
  /** Defaults to DEFAULT_MODELS[provider] (required for vllm). */
  model?: string;
  /** Defaults to DEFAULT_BASE_URLS[provider] (required for vllm); checked by checkBaseUrl. */
  baseUrl?: string;
  /** Read at every request, so a rotated key is used at once. Required unless ollama or vllm. */
  apiKey?: () => string;
  /** Deadline of one extract() once it has a slot: every attempt and back-off together. Default 60 s. */
  timeoutMs?: number;
  /** Calls in flight at once (default 4); more wait in a queue of at most `maxQueued` (default 256). */
  maxConcurrent?: number;
  maxQueued?: number;
  /** Retries on 429, 5xx and network errors, 0..2 (default 2). */
  maxRetries?: number;
  /** First back-off (doubled each retry, with jitter). Default 500 ms. */
  retryBaseMs?: number;
  /** A Retry-After longer than this fails the call instead of waiting. Default 20 s. */
  maxRetryAfterMs?: number;
  /** Cap on a response body. Default 2 MiB. */
  maxResponseBytes?: number;
  /** Output token limit sent to the provider. Default 8192. */
  maxOutputTokens?: number;
  /** Waits between attempts (tests record the delays instead of waiting). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** HTTP dispatcher; by default the extractor owns an undici Agent (no proxy variables read). */
  dispatcher?: Dispatcher;
}

/** Bounded semaphore: at most `max` holders, at most `maxQueued` waiters. */
class Slots {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly maxQueued: number,
  ) {}

  async acquire(provider: string, signal: AbortSignal | undefined): Promise<() => void> {
    if (signal?.aborted) throw new LlmError('LLM_ERR_ABORTED', provider, 'aborted by the caller', undefined, { cause: signal.reason });
    if (this.active >= this.max) {
      if (this.waiters.length >= this.maxQueued) throw new LlmError('LLM_ERR_BUSY', provider, `more than ${this.maxQueued} calls waiting`);
      await new Promise<void>((resolve, reject) => {
        const wake = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          const i = this.waiters.indexOf(wake);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new LlmError('LLM_ERR_ABORTED', provider, 'aborted by the caller while waiting for a slot', undefined, { cause: signal?.reason }));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(wake);
      });
    } else {
      this.active++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next !== undefined) next(); // the slot passes straight to the next waiter
      else this.active--;
    };
  }
}

function bounded(name: string, v: number | undefined, dflt: number, min: number, max: number): number {
  const n = v ?? dflt;
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`llm: ${name} must be an integer in ${min}..${max}`);
  return n;
}

/** An Extractor over one provider's HTTP API. Create it with {@link createExtractor}. */
export class LlmExtractor implements Extractor {
  readonly provider: LlmProviderName;
  readonly model: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly slots: Slots;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly maxResponseBytes: number;
  private readonly pauseFn: (ms: number, signal: AbortSignal) => Promise<void>;
  private closed = false;

  constructor(
    private readonly adapter: ProviderAdapter,
    private readonly apiKey: (() => string) | undefined,
    opts: LlmExtractorOptions,
  ) {
    this.provider = adapter.name;
    this.model = adapter.model;
    this.timeoutMs = bounded('timeoutMs', opts.timeoutMs, 60_000, 1, 600_000);
    this.maxRetries = bounded('maxRetries', opts.maxRetries, 2, 0, 2);
    this.retryBaseMs = bounded('retryBaseMs', opts.retryBaseMs, 500, 0, 60_000);
    this.maxRetryAfterMs = bounded('maxRetryAfterMs', opts.maxRetryAfterMs, 20_000, 0, 600_000);
    this.maxResponseBytes = bounded('maxResponseBytes', opts.maxResponseBytes, 2 * 1024 * 1024, 1024, 64 * 1024 * 1024);
    this.slots = new Slots(bounded('maxConcurrent', opts.maxConcurrent, 4, 1, 64), bounded('maxQueued', opts.maxQueued, 256, 0, 10_000));
    this.pauseFn = opts.sleep ?? ((ms, signal) => sleep(ms, undefined, { signal }));
    this.ownsDispatcher = opts.dispatcher === undefined;
    this.dispatcher =
      opts.dispatcher ??
      new Agent({ connections: 8, keepAliveTimeout: 30_000, connect: { timeout: 10_000 }, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
  }

  async extract(input: ExtractInput): Promise<ExtractResult> {
    if (this.closed) throw new LlmError('LLM_ERR_ABORTED', this.provider, 'the extractor is closed');
    const maxCandidates = Math.min(Math.max(Math.trunc(input.maxCandidates), 1), 200);
    const release = await this.slots.acquire(this.provider, input.signal);
    try {
      const deadline = AbortSignal.timeout(this.timeoutMs);
      const signal = input.signal === undefined ? deadline : AbortSignal.any([input.signal, deadline]);
      const prompt = buildPrompt({ ...input, maxCandidates });
      let attempts = 0;
      // One more round when the answer is wholly unusable; a refusal or truncation is final.
      for (let round = 0; ; round++) {
        const res = await this.send(prompt, signal, input.signal, deadline);
        attempts += res.tries;
        let parsed: ReturnType<typeof parseOutput>;
        try {
          parsed = parseOutput(this.adapter.output(res.json));
        } catch (err) {
          if (!(err instanceof InvalidOutput)) throw err;
          if (round === 0) continue;
          throw new LlmError('LLM_ERR_INVALID_OUTPUT', this.provider, `the model's answer was unusable twice: ${err.message}`, undefined, { cause: err });
        }
        const sourceName = input.sourceName || input.title || hostOf(input.url);
        const { candidates, notInPage, duplicates } = toCandidates(parsed.items, { ...input, sourceName, maxCandidates });
        return { candidates, stats: { returned: parsed.returned, invalid: parsed.invalid, notInPage, duplicates, attempts } };
      }
    } finally {
      release();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  /** One request with at most `maxRetries` retries; resolves with a 2xx JSON body. */
  private async send(prompt: Prompt, signal: AbortSignal, caller: AbortSignal | undefined, deadline: AbortSignal): Promise<{ json: unknown; tries: number }> {
    for (let attempt = 0; ; attempt++) {
      const key = this.apiKey?.() ?? '';
      if (key === '' && KEY_REQUIRED.has(this.provider)) throw new LlmError('LLM_ERR_AUTH', this.provider, 'no API key is configured');
      const req = this.adapter.request(prompt, key);
      let res: JsonResponse;
      try {
        res = await postJson(req.url, req.headers, req.body, { dispatcher: this.dispatcher, signal, maxBytes: this.maxResponseBytes });
      } catch (err) {
        this.throwIfStopped(caller, deadline, err);
        if (err instanceof BodyTooLarge) throw new LlmError('LLM_ERR_TOO_LARGE', this.provider, err.message, undefined, { cause: err });
        if (attempt < this.maxRetries) {
          await this.pause(this.backoff(attempt), signal, caller, deadline);
          continue;
        }
        throw new LlmError('LLM_ERR_NETWORK', this.provider, `request failed after ${attempt + 1} attempts: ${describe(err)}`, undefined, { cause: err });
      }
      if (res.status >= 200 && res.status < 300) {
        if (res.json === undefined) throw new LlmError('LLM_ERR_BAD_RESPONSE', this.provider, `HTTP ${res.status} with a body that is not JSON`, res.status);
        return { json: res.json, tries: attempt + 1 };
      }
      const err = this.statusError(res, key, attempt + 1);
      if (err.retryable && attempt < this.maxRetries) {
        const asked = retryAfterMs(res.headers);
        if (asked !== undefined && asked > this.maxRetryAfterMs) {
          throw new LlmError(err.code, this.provider, `${err.message.replace(/^llm\([^)]*\): /, '')} (Retry-After ${Math.ceil(asked / 1000)} s is beyond the ${Math.ceil(this.maxRetryAfterMs / 1000)} s cap)`, res.status);
        }
        await this.pause(asked ?? this.backoff(attempt), signal, caller, deadline);
        continue;
      }
      throw err;
    }
  }

  private statusError(res: JsonResponse, key: string, tries: number): LlmError {
    const { message, code } = this.adapter.error(res.json);
    const detail = scrub([code, message || (res.json === undefined ? res.preview : '')].filter(Boolean).join(': ') || 'no message', key);
    const s = res.status;
    let c: LlmErrorCode;
    let what: string;
    if (s === 401 || s === 403) [c, what] = ['LLM_ERR_AUTH', 'authentication failed'];
    else if (this.adapter.isQuota(s, res.json)) [c, what] = ['LLM_ERR_QUOTA', 'quota or spend limit exhausted'];
    else if (s === 429) [c, what] = ['LLM_ERR_RATE_LIMITED', `rate limited after ${tries} attempts`];
    else if (s >= 500) [c, what] = ['LLM_ERR_UNAVAILABLE', `server error after ${tries} attempts`];
    else [c, what] = ['LLM_ERR_BAD_REQUEST', 'request rejected'];
    return new LlmError(c, this.provider, `${what} (HTTP ${s}): ${detail}`, s);
  }

  private backoff(attempt: number): number {
    return Math.round(this.retryBaseMs * 2 ** attempt * (0.5 + Math.random() / 2));
  }

  private async pause(ms: number, signal: AbortSignal, caller: AbortSignal | undefined, deadline: AbortSignal): Promise<void> {
    try {
      await this.pauseFn(ms, signal);
    } catch (err) {
      this.throwIfStopped(caller, deadline, err);
      throw err;
    }
    this.throwIfStopped(caller, deadline, undefined);
  }

  private throwIfStopped(caller: AbortSignal | undefined, deadline: AbortSignal, err: unknown): void {
    if (caller?.aborted) throw new LlmError('LLM_ERR_ABORTED', this.provider, 'aborted by the caller', undefined, { cause: caller.reason });
    if (deadline.aborted) throw new LlmError('LLM_ERR_TIMEOUT', this.provider, `no answer within ${this.timeoutMs} ms`, undefined, { cause: err });
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

/** A network error's code and message (undici's errors carry no request headers). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown error';
  const code = (err as { code?: unknown }).code;
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${typeof code === 'string' ? `${code} ` : ''}${err.message}${cause}`.slice(0, 200);
}

/**
 * Creates the extractor for `opts.provider`. Throws (RangeError or Error) on a missing model
 * or base URL for vllm, a bad base URL, a missing key function where a key is required, or
 * out-of-range bounds. The returned extractor owns connections: close() it on shutdown.
 */
export function createExtractor(opts: LlmExtractorOptions): LlmExtractor {
  const model = opts.model ?? DEFAULT_MODELS[opts.provider];
  if (model === undefined || model.trim() === '') throw new Error(`llm(${opts.provider}): a model name is required`);
  const rawBase = opts.baseUrl ?? DEFAULT_BASE_URLS[opts.provider];
  if (rawBase === undefined) throw new Error(`llm(${opts.provider}): a base URL is required`);
  let baseUrl: string;
  try {
    baseUrl = checkBaseUrl(rawBase);
  } catch (err) {
    throw new Error(`llm(${opts.provider}): base URL ${(err as Error).message}`);
  }
  if (KEY_REQUIRED.has(opts.provider) && opts.apiKey === undefined) throw new Error(`llm(${opts.provider}): an API key is required`);
  const maxOut = bounded('maxOutputTokens', opts.maxOutputTokens, 8192, 256, 65_536);
  let adapter: ProviderAdapter;
  switch (opts.provider) {
    case 'anthropic':
      adapter = new AnthropicAdapter(model, baseUrl, maxOut);
      break;
    case 'gemini':
      adapter = new GeminiAdapter(model, baseUrl, maxOut);
      break;
    default:
      adapter = new OpenAiCompatibleAdapter(opts.provider, model, baseUrl, maxOut);
  }
  return new LlmExtractor(adapter, opts.apiKey, opts);
}
