/**
 * Secret-value scrubbing: every registered secret value is replaced by `[REDACTED]` wherever it
 * appears in a finished log line — message, nested fields, error messages and stacks, child
 * bindings. Key-based redaction cannot catch a key that is interpolated into a message or
 * echoed in an upstream error; this does.
 *
 * The logging package knows nothing about where secrets come from (no dependency on the
 * secrets package); whoever loads secrets registers their values here.
 */
import { CENSOR } from './redact.js';

/** Values shorter than this are not scrubbed: replacing `"abc"` everywhere would wreck logs. */
export const MIN_SCRUB_LENGTH = 6;
/** At most this many values are kept per scrubber (bounded memory and regex size). */
export const MAX_SCRUB_VALUES = 1000;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A set of secret values, grouped by source (e.g. `"secrets"`, `"vault-auth"`), and a scrub
 * function over text. Replacing a source's values (rotation) keeps other sources' values.
 */
export class SecretScrubber {
  private readonly sources = new Map<string, ReadonlySet<string>>();
  private pattern: RegExp | undefined;

  /**
   * Sets the values of one source, replacing what it registered before. Values shorter than
   * {@link MIN_SCRUB_LENGTH} are ignored; at most {@link MAX_SCRUB_VALUES} values are kept in
   * all (throws beyond that: an unbounded set is a bug in the caller).
   */
  set(source: string, values: Iterable<string>): void {
    const kept = new Set<string>();
    for (const v of values) if (typeof v === 'string' && v.length >= MIN_SCRUB_LENGTH) kept.add(v);
    const others = [...this.sources.entries()].filter(([s]) => s !== source).reduce((n, [, vs]) => n + vs.size, 0);
    if (others + kept.size > MAX_SCRUB_VALUES) {
      throw new RangeError(`logging: more than ${MAX_SCRUB_VALUES} secret values registered for scrubbing`);
    }
    if (kept.size === 0) this.sources.delete(source);
    else this.sources.set(source, kept);
    this.rebuild();
  }

  /** Forgets one source's values. */
  delete(source: string): void {
    this.sources.delete(source);
    this.rebuild();
  }

  /** How many distinct values are scrubbed. */
  get size(): number {
    return this.all().size;
  }

  /** `text` with every registered value (raw or JSON-escaped) replaced by `[REDACTED]`. */
  scrub(text: string): string {
    return this.pattern === undefined ? text : text.replace(this.pattern, CENSOR);
  }

  private all(): Set<string> {
    const all = new Set<string>();
    for (const vs of this.sources.values()) for (const v of vs) all.add(v);
    return all;
  }

  private rebuild(): void {
    const forms = new Set<string>();
    for (const v of this.all()) {
      forms.add(v);
      // In a JSON line a value with quotes, backslashes or control characters appears escaped.
      forms.add(JSON.stringify(v).slice(1, -1));
    }
    // Longest first, so a value that contains another is replaced whole.
    const sorted = [...forms].sort((a, b) => b.length - a.length);
    this.pattern = sorted.length === 0 ? undefined : new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  }
}

/** The process-wide scrubber every {@link createLogger} logger uses unless given another. */
export const defaultScrubber = new SecretScrubber();

/**
 * Registers secret values with the process-wide scrubber under `source`, replacing that
 * source's earlier values (call it again after a rotation, with old and new values if log
 * lines may still carry the old one). Values shorter than six characters are ignored.
 */
export function registerSecretValues(values: Iterable<string>, source = 'default'): void {
  defaultScrubber.set(source, values);
}

/**
 * The password of a connection URL (`redis://:pw@host`, `postgres://u:pw@host/db`) as written and
 * decoded, for `registerSecretValues`; none for no password or an unparsable URL.
 */
export function urlPasswords(url: string | undefined): string[] {
  if (url === undefined) return [];
  try {
    const { password } = new URL(url);
    return password ? [password, decodeURIComponent(password)] : [];
  } catch {
    return [];
  }
}
