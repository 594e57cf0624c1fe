/** Query parameters that track a click, never change the document. */
const TRACKING = /^(utm_[a-z]+|gclid|fbclid|msclkid|mc_cid|mc_eid|igshid|ref|ref_src|_ga|yclid)$/i;

/**
 * The key under which two URLs are the same document: scheme and host lower case, default port,
 * fragment, tracking parameters, a leading "www." and a trailing slash dropped, remaining
 * parameters sorted. Not a URL to fetch: the original URL is what is returned and fetched.
 */
export function canonicalKey(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw.trim();
  }
  url.hash = '';
  const params = [...url.searchParams.entries()].filter(([k]) => !TRACKING.test(k)).sort(([a], [b]) => a.localeCompare(b));
  url.search = new URLSearchParams(params).toString();
  const host = url.hostname.toLowerCase().replace(/^www\./, '');
  const port = url.port && !['80', '443'].includes(url.port) ? `:${url.port}` : '';
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : '/';
  return `${url.protocol.replace('https:', 'http:')}//${host}${port}${path}${url.search}`;
}

/** Keeps the first (best ranked) of each group of items whose URLs are the same document. */
export function dedupeByUrl<T>(items: readonly T[], urlOf: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = canonicalKey(urlOf(item));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
