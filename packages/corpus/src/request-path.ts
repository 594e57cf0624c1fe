import { contentTypeFor } from './documents.js';

/** Why a request path was refused; logged, never shown to the client. */
export type RefusalReason =
  | 'not-origin-form'
  | 'too-long'
  | 'malformed-encoding'
  | 'nul'
  | 'control-character'
  | 'backslash'
  | 'absolute'
  | 'empty-segment'
  | 'traversal'
  | 'dotfile'
  | 'extension';

export type RequestPath =
  | { ok: true; segments: string[]; contentType: string }
  | { ok: false; reason: RefusalReason };

export const MAX_REQUEST_PATH_CHARS = 2048;

/**
 * Turns a request target into the path segments of a corpus file, or says why it is refused.
 * The path is percent-decoded exactly once and then checked: no NUL or control characters,
 * no backslashes, nothing absolute (`//x`, `/%2fx`, `/C:`), no empty, `.` or `..` segments,
 * no segment starting with a dot, and a served extension. The query string is ignored.
 * Pure: whether the file exists, and where its real path lies, is the server's business.
 */
export function parseRequestPath(target: string): RequestPath {
  if (!target.startsWith('/')) return { ok: false, reason: 'not-origin-form' };
  if (target.length > MAX_REQUEST_PATH_CHARS) return { ok: false, reason: 'too-long' };
  const query = target.indexOf('?');
  const raw = query === -1 ? target : target.slice(0, query);
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return { ok: false, reason: 'malformed-encoding' };
  }
  if (decoded.includes('\0')) return { ok: false, reason: 'nul' };
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0001-\u001f\u007f]/.test(decoded)) return { ok: false, reason: 'control-character' };
  if (decoded.includes('\\')) return { ok: false, reason: 'backslash' };
  const rest = decoded.slice(1);
  if (rest.startsWith('/') || /^[a-z]:/i.test(rest)) return { ok: false, reason: 'absolute' };
  const segments = rest.split('/');
  for (const segment of segments) {
    if (segment === '') return { ok: false, reason: 'empty-segment' };
    if (segment === '.' || segment === '..') return { ok: false, reason: 'traversal' };
    if (segment.startsWith('.')) return { ok: false, reason: 'dotfile' };
  }
  const contentType = contentTypeFor(rest);
  if (contentType === undefined) return { ok: false, reason: 'extension' };
  return { ok: true, segments, contentType };
}
