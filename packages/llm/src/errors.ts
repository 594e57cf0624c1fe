/** Stable error codes of the LLM providers (one catalog for the package). */
export type LlmErrorCode =
  | 'LLM_ERR_AUTH' // 401/403: the key is missing, wrong or not allowed the model
  | 'LLM_ERR_QUOTA' // the account's quota or spend limit is exhausted (not retried)
  | 'LLM_ERR_RATE_LIMITED' // 429 still after the retries, or a Retry-After beyond the cap
  | 'LLM_ERR_UNAVAILABLE' // 5xx (529 included) still after the retries
  | 'LLM_ERR_BAD_REQUEST' // any other 4xx: model name, schema, request shape
  | 'LLM_ERR_NETWORK' // connection failed or reset, still after the retries
  | 'LLM_ERR_TIMEOUT' // the call's deadline (LLM_TIMEOUT_MS) passed
  | 'LLM_ERR_ABORTED' // the caller aborted
  | 'LLM_ERR_TOO_LARGE' // the response body exceeded its cap
  | 'LLM_ERR_BAD_RESPONSE' // a 2xx body that is not the API's JSON envelope
  | 'LLM_ERR_INVALID_OUTPUT' // the model's structured output was unusable twice
  | 'LLM_ERR_REFUSED' // refusal, content filter, blocked prompt or safety stop
  | 'LLM_ERR_TRUNCATED' // the output hit the token limit before the JSON ended
  | 'LLM_ERR_BUSY'; // too many calls waiting for a concurrency slot

/**
 * An LLM call that failed. The message starts with `llm(<provider>):` and never contains the
 * API key (provider messages are cut to 300 characters and scrubbed). `status` is the HTTP
 * status when there was one.
 */
export class LlmError extends Error {
  constructor(
    readonly code: LlmErrorCode,
    readonly provider: string,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`llm(${provider}): ${message}`, options);
    this.name = 'LlmError';
  }

  /** Whether sending the same request again may succeed. */
  get retryable(): boolean {
    return this.code === 'LLM_ERR_RATE_LIMITED' || this.code === 'LLM_ERR_UNAVAILABLE' || this.code === 'LLM_ERR_NETWORK';
  }
}

/**
 * The per-source outcome reason for an extraction error: `llm_<code>` for an LlmError
 * (`llm_timeout`, `llm_auth`, `llm_invalid_output`, …), `llm_error` for anything else.
 */
export function llmFailureReason(err: unknown): string {
  return err instanceof LlmError ? err.code.replace('LLM_ERR_', 'llm_').toLowerCase() : 'llm_error';
}

/** Runs of key characters; one is key-shaped when it holds a masked part (`****`) or a long random segment. */
const TOKEN = /[A-Za-z0-9_\-*.]{12,}/g;

function keyShaped(token: string): boolean {
  // Model names ("claude-haiku-4-5-20251001") split into short segments; keys do not.
  return token.includes('**') || token.split(/[-.]/).some((seg) => seg.length >= 16 && /\d/.test(seg) && /[A-Za-z]/.test(seg));
}

/**
 * Makes a provider's message safe to put in an error: the key (and anything key-shaped, as
 * OpenAI echoes masked keys) replaced, control characters dropped, cut to `max` characters.
 */
export function scrub(message: string, key: string | undefined, max = 300): string {
  let out = message;
  if (key !== undefined && key.length >= 4) out = out.split(key).join('[redacted]');
  out = out.replace(TOKEN, (m) => (keyShaped(m) ? '[redacted]' : m));
  // eslint-disable-next-line no-control-regex
  out = out.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return out.length > max ? `${out.slice(0, max)}…` : out;
}
