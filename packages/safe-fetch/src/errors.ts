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
  | 'FETCH_ERR_INVALID_URL'
  | 'FETCH_ERR_ADDRESS'
  | 'FETCH_ERR_PORT';

/**
 * Why an address is not public (see `classifyAddress`). Bounded, so it can be a metric label;
 * `public` is the only category fetched without an allow-list entry.
 */
export type AddressCategory =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'metadata'
  | 'shared'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'documentation'
  | 'benchmarking'
  | 'unique_local'
  | 'site_local'
  | 'ipv4_embedded'
  | 'invalid';

/** The codes that are policy refusals (as opposed to failures), the ones `onRefusal` hears of. */
export const REFUSAL_CODES: ReadonlySet<FetchErrorCode> = new Set(['FETCH_ERR_SCHEME', 'FETCH_ERR_CREDENTIALS', 'FETCH_ERR_ADDRESS', 'FETCH_ERR_PORT']);

/**
 * A fetch that was refused by the policy or failed. `url` is the URL of the hop that failed
 * (after redirects), never with credentials in it; `status` is set for FETCH_ERR_HTTP_STATUS;
 * `category` (why the address is not public, or `public` for a port refusal) and `address` (the
 * refused IP address, when one was known) are set for FETCH_ERR_ADDRESS and FETCH_ERR_PORT.
 * The underlying error, if any, is the `cause`.
 */
export class FetchError extends Error {
  override readonly name = 'FetchError';
  readonly code: FetchErrorCode;
  readonly url: string;
  // Declared, not defined: the property exists only when there is a status.
  declare readonly status?: number;
  declare readonly category?: AddressCategory;
  declare readonly address?: string;

  constructor(
    code: FetchErrorCode,
    url: string,
    message: string,
    options?: { status?: number; cause?: unknown; category?: AddressCategory; address?: string },
  ) {
    super(`safe-fetch: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.url = url;
    if (options?.status !== undefined) this.status = options.status;
    if (options?.category !== undefined) this.category = options.category;
    if (options?.address !== undefined) this.address = options.address;
  }
}

/**
 * The label of a policy refusal for `stats_fetch_refused_total{reason}`: the address category
 * (`loopback`, `private`, `metadata`, …) for FETCH_ERR_ADDRESS, else `port`, `scheme` or
 * `credentials`. Undefined when `err` is not a refusal. The set of values is bounded.
 */
export function refusalReason(err: unknown): string | undefined {
  if (!(err instanceof FetchError) || !REFUSAL_CODES.has(err.code)) return undefined;
  if (err.code === 'FETCH_ERR_ADDRESS') return err.category ?? 'invalid';
  return err.code.replace('FETCH_ERR_', '').toLowerCase();
}

/**
 * A machine-readable reason for a failed fetch, for metrics and responses: "fetch_timeout",
 * "fetch_http_status", … for a FetchError, "fetch_failed" for anything else.
 */
export function fetchFailureReason(err: unknown): string {
  return err instanceof FetchError ? err.code.replace('FETCH_ERR_', 'fetch_').toLowerCase() : 'fetch_failed';
}
