/**
 * Canonical JSON for hashing: RFC 8785 (JSON Canonicalization Scheme) for the values an audit
 * record can hold.
 *
 * Why JCS and not `JSON.stringify`: the hash must not depend on the order in which code (or a
 * database's JSONB column, or a log shipper) happens to put the keys. JCS fixes that order — keys
 * sorted by their UTF-16 code units, no whitespace — and for everything else it IS ECMAScript's
 * `JSON.stringify` (string escaping, number formatting), so a verifier in another language with
 * a JCS library computes the same bytes. We implement the subset we need (objects, arrays,
 * strings, finite numbers, booleans, null) and refuse what JCS refuses: non-finite numbers and
 * strings with lone surrogates (not I-JSON, RFC 7493), plus `undefined`, functions and bigints.
 */

export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';
}

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Serializes `value` canonically (RFC 8785). Throws `CanonicalJsonError` for what JSON cannot hold. */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

function write(value: unknown, depth: number): string {
  if (depth > 32) throw new CanonicalJsonError('canonical JSON: nested too deeply');
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError('canonical JSON: numbers must be finite');
      // ECMAScript Number::toString, as JCS requires; -0 serializes as 0.
      return JSON.stringify(value);
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new CanonicalJsonError('canonical JSON: string holds a lone surrogate');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => write(v, depth + 1)).join(',')}]`;
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new CanonicalJsonError('canonical JSON: only plain objects');
      const obj = value as Record<string, unknown>;
      // Default sort compares UTF-16 code units: exactly JCS's key order.
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return `{${keys.map((k) => `${write(k, depth + 1)}:${write(obj[k], depth + 1)}`).join(',')}}`;
    }
    default:
      throw new CanonicalJsonError(`canonical JSON: cannot serialize a ${typeof value}`);
  }
}
