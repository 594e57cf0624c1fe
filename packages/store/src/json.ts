import { StoreError } from './errors.js';

/** Largest JSON value stored in one column (a run's input, a step's output, a result). */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;
/** Largest text stored in one column (a reason, an error message). */
export const MAX_TEXT_CHARS = 8_192;

// NUL cannot be stored in a Postgres text or jsonb value, and a lone UTF-16 surrogate is refused
// in jsonb; both occur in text scraped from web pages. They become U+FFFD instead of failing the run.
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A string Postgres accepts: NUL and lone surrogates replaced by U+FFFD. */
export function storableText(s: string): string {
  return s.replace(UNSTORABLE, '\uFFFD');
}

/** `storableText`, then cut to `max` characters (with an ellipsis) so one column stays bounded. */
export function boundedText(s: string, max = MAX_TEXT_CHARS): string {
  const t = storableText(s);
  return t.length <= max ? t : `${t.slice(0, max - 1)}…`;
}

/**
 * JSON text for a jsonb parameter (`$n::text::jsonb`). Throws STORE_ERR_INVALID_INPUT for what
 * JSON cannot hold (undefined, functions, BigInt, cycles) and STORE_ERR_TOO_LARGE above
 * `MAX_JSON_BYTES`. Strings are made storable (see `storableText`).
 */
export function toJsonText(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'string') return storableText(v);
      // Keys are not passed through the replacer as values: rebuild an object whose keys need it.
      if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).some((k) => storableText(k) !== k)) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [storableText(k), x as unknown]));
      }
      return v;
    });
  } catch (err) {
    throw new StoreError('STORE_ERR_INVALID_INPUT', `store: ${what} is not JSON (${err instanceof Error ? err.message : 'not serializable'})`);
  }
  if (text === undefined) throw new StoreError('STORE_ERR_INVALID_INPUT', `store: ${what} is not JSON`);
  if (Buffer.byteLength(text, 'utf8') > MAX_JSON_BYTES) {
    throw new StoreError('STORE_ERR_TOO_LARGE', `store: ${what} is larger than ${MAX_JSON_BYTES} bytes as JSON`);
  }
  return text;
}
