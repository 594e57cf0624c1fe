// @stats-agent/safe-fetch: fetch one web page within a policy (schemes, credentials, redirects,
// time, size, content type, charset). The SSRF address policy plugs into checkUrl and the connector.
export type { FetchErrorCode } from './errors.js';
export { FetchError, fetchFailureReason } from './errors.js';
export type { FetchPolicy } from './policy.js';
export { checkUrl, defaultFetchPolicy, resolvePolicy } from './policy.js';
export type { Connector } from './connector.js';
export { createConnector } from './connector.js';
export type { FetchedPage, FetchOptions, FetcherHooks } from './fetcher.js';
export { PageFetcher } from './fetcher.js';
export { canonicalCharset, charsetFromContentType, decodeText, sniffHtmlCharset } from './charset.js';
