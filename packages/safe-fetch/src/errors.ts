/** Stable codes of every way {@link PageFetcher.fetch} can refuse or fail. */
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

/**
 * A fetch that was refused by the policy or failed. `url` is the URL of the hop that failed
 * (after redirects), never with credentials in it; `status` is set for FETCH_ERR_HTTP_STATUS.
 * The underlying error, if any, is the `cause`.
 */
export class FetchError extends Error {
  override readonly name = 'FetchError';
  readonly code: FetchErrorCode;
  readonly url: string;
  // Declared, not defined: the property exists only when there is a status.
  declare readonly status?: number;

  constructor(code: FetchErrorCode, url: string, message: string, options?: { status?: number; cause?: unknown }) {
    super(`safe-fetch: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.url = url;
    if (options?.status !== undefined) this.status = options.status;
  }
}

/**
 * A machine-readable reason for a failed fetch, for metrics and responses: "fetch_timeout",
 * "fetch_http_status", … for a FetchError, "fetch_failed" for anything else.
 */
export function fetchFailureReason(err: unknown): string {
  return err instanceof FetchError ? err.code.replace('FETCH_ERR_', 'fetch_').toLowerCase() : 'fetch_failed';
}
