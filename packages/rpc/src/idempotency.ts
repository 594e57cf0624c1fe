import { createHash } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';

/** gRPC metadata key of a call's idempotency key: the same key and request mean the same call. */
export const IDEMPOTENCY_KEY = 'idempotency-key';

const KEY_SHAPE = /^[A-Za-z0-9._:-]{1,200}$/;

/** The call's idempotency key, or undefined when absent or not a plain token (then the call is just not deduplicated). */
export function idempotencyKeyFrom(metadata: Metadata): string | undefined {
  const v = metadata.get(IDEMPOTENCY_KEY)[0];
  return typeof v === 'string' && KEY_SHAPE.test(v) ? v : undefined;
}

export interface IdempotencyOptions {
  /** Responses kept (least recently used evicted first). */
  maxEntries?: number;
  /** How long a finished response is returned again for a repeat. */
  ttlMs?: number;
}

/**
 * Remembers the responses of calls that carried an idempotency key, so a retry after a lost
 * response (or a resumed run) gets the first answer instead of doing the work again, and a
 * repeat that arrives while the first is still running shares it. Entries are keyed by the
 * caller's identity, the method, the key and a hash of the request: another peer cannot read
 * them, and a different request under the same key is simply a new call. Failures are not kept.
 * Bounded in entries and time.
 */
export class IdempotencyCache {
  private readonly entries = new Map<string, { value: Promise<unknown>; expires: number }>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;

  constructor(opts: IdempotencyOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 64;
    this.ttlMs = opts.ttlMs ?? 10 * 60_000;
  }

  static entryKey(caller: string, method: string, key: string, request: unknown): string {
    const digest = createHash('sha256').update(JSON.stringify(request) ?? '').digest('base64url');
    return `${caller}\u0000${method}\u0000${key}\u0000${digest}`;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The response of the first call with `entryKey`, running `work` only when there is none. */
  run<T>(entryKey: string, work: () => Promise<T>): { value: Promise<T>; repeated: boolean } {
    const now = Date.now();
    const hit = this.entries.get(entryKey);
    if (hit && hit.expires > now) return { value: hit.value as Promise<T>, repeated: true };
    const value = work();
    this.entries.delete(entryKey);
    this.entries.set(entryKey, { value, expires: Infinity });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    value.then(
      () => {
        const e = this.entries.get(entryKey);
        if (e?.value === value) e.expires = Date.now() + this.ttlMs;
      },
      () => {
        if (this.entries.get(entryKey)?.value === value) this.entries.delete(entryKey);
      },
    );
    return { value, repeated: false };
  }
}
