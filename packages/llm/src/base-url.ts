import { isIP } from 'node:net';

/** Whether `hostname` (as WHATWG URL gives it) is a loopback name or address. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h) || /^::ffff:7f[0-9a-f]{2}:/.test(h);
  return false;
}

/**
 * Checks a provider base URL: `https:`, or `http:` only to a loopback host (a local Ollama or
 * vLLM); no user name, password, query or fragment. Returns the URL without a trailing slash;
 * throws an Error saying what is wrong (without echoing the URL, which may hold a secret).
 */
export function checkBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('is not a URL');
  }
  if (url.username !== '' || url.password !== '') throw new Error('must not contain credentials (keys go in the *_API_KEY variables)');
  if (url.search !== '' || url.hash !== '') throw new Error('must not have a query or fragment');
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) throw new Error('must be https:// (http:// only to a loopback host)');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('must be an https:// URL');
  return url.href.replace(/\/+$/, '');
}
