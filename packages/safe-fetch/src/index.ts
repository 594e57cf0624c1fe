// @stats-agent/safe-fetch: fetch one web page within a policy (schemes, credentials, public
// addresses only, ports, redirects, time, size, content type, charset). The SSRF address policy
// lives in checkUrl (literals, ports) and the connector (every resolved address, dialled as checked).
export type { AddressCategory, FetchErrorCode } from './errors.js';
export { FetchError, fetchFailureReason, refusalReason } from './errors.js';
export type { FetchPolicy } from './policy.js';
export { checkAddress, checkUrl, defaultFetchPolicy, resolvePolicy } from './policy.js';
export type { ClassifiedAddress } from './address.js';
export { classifyAddress } from './address.js';
export type { AllowEntry } from './allow.js';
export { parseAllowList } from './allow.js';
export type { Connector, ConnectorOptions, ResolvedAddress, Resolver } from './connector.js';
export { createConnector } from './connector.js';
export type { FetchedPage, FetchOptions, FetcherHooks } from './fetcher.js';
export { PageFetcher } from './fetcher.js';
export { canonicalCharset, charsetFromContentType, decodeText, sniffHtmlCharset } from './charset.js';
