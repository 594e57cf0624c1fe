import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { SCOPES, type Scope } from './scopes.js';

/**
 * API keys look like `sk_<id>_<secret>`: the id says which record to compare against (and is safe
 * to log), the secret is 32 random bytes in base64url (256 bits).
 *
 * Only `sha256:<hex>` of the whole key is stored. A fast hash is enough here because the secret is
 * random and 256 bits long: no dictionary or brute force can reach it, which is what a slow
 * password hash (scrypt, argon2) defends against for low-entropy passwords. A slow hash would
 * instead cost tens of milliseconds of CPU per request, an easy way to exhaust the server.
 */
const ID = /^[A-Za-z0-9-]{1,64}$/;
const KEY = /^sk_([A-Za-z0-9-]{1,64})_([A-Za-z0-9_-]{43})$/;
const HASH = /^sha256:[0-9a-f]{64}$/;

export interface ParsedApiKey {
  id: string;
  key: string;
}

/** Splits a presented key; undefined when it does not have the `sk_<id>_<secret>` shape. */
export function parseApiKey(presented: string): ParsedApiKey | undefined {
  const m = KEY.exec(presented);
  return m ? { id: m[1] as string, key: presented } : undefined;
}

/** The stored form of a key: `sha256:<hex>` of the whole `sk_…` string. */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

export const apiKeyRecordSchema = z.strictObject({
  id: z.string().regex(ID, 'must be 1-64 letters, digits or dashes'),
  name: z.string().max(200).optional(),
  hash: z.string().regex(HASH, 'must be sha256:<64 hex digits>'),
  scopes: z.array(z.enum(SCOPES)).min(1, 'must name at least one scope'),
  /** ISO 8601 with offset; every key expires. */
  expires_at: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
  created_at: z.iso.datetime({ offset: true }).optional(),
  /** A revoked key is refused like an unknown one; keep the record for the audit trail. */
  revoked: z.boolean().default(false),
});
export type ApiKeyRecord = z.output<typeof apiKeyRecordSchema>;

export const apiKeysFileSchema = z
  .strictObject({
    version: z.literal(1),
    keys: z.array(apiKeyRecordSchema).max(10_000),
  })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    for (const [i, k] of f.keys.entries()) {
      if (seen.has(k.id)) ctx.addIssue({ code: 'custom', path: ['keys', i, 'id'], message: `duplicate id ${k.id}` });
      seen.add(k.id);
    }
  });
export type ApiKeysFile = z.output<typeof apiKeysFileSchema>;

export interface CreateApiKeyOptions {
  id: string;
  scopes: readonly Scope[];
  expiresAt: Date;
  name?: string;
  now?: Date;
}

/**
 * Makes a new key. The plaintext is returned once and never stored; `record` goes into the keys
 * file. Throws on a bad id, no scopes or an expiry not in the future.
 */
export function createApiKey(opts: CreateApiKeyOptions): { key: string; record: ApiKeyRecord } {
  const now = opts.now ?? new Date();
  if (!ID.test(opts.id)) throw new Error(`auth: key id ${JSON.stringify(opts.id)} must be 1-64 letters, digits or dashes`);
  if (opts.scopes.length === 0) throw new Error('auth: a key needs at least one scope');
  if (!(opts.expiresAt.getTime() > now.getTime())) throw new Error('auth: a key must expire in the future');
  const key = `sk_${opts.id}_${randomBytes(32).toString('base64url')}`;
  const record = apiKeyRecordSchema.parse({
    id: opts.id,
    ...(opts.name ? { name: opts.name } : {}),
    hash: hashApiKey(key),
    scopes: [...new Set(opts.scopes)],
    expires_at: opts.expiresAt.toISOString(),
    created_at: now.toISOString(),
  });
  return { key, record };
}

export type KeyCheck =
  | { ok: true; record: ApiKeyRecord }
  | { ok: false; reason: 'malformed' | 'unknown_key' | 'bad_secret' | 'revoked' | 'expired'; keyId?: string };

/** Problems with a keys file, each naming where. */
export class ApiKeysFileError extends Error {
  constructor(file: string, problems: string[], options?: { cause?: unknown }) {
    super(`auth: ${file}: ${problems.join('; ')}`, options);
    this.name = 'ApiKeysFileError';
  }
}

export function parseApiKeysFile(text: string, file = 'API_KEYS_FILE'): ApiKeysFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ApiKeysFileError(file, ['not valid JSON'], { cause: err });
  }
  const r = apiKeysFileSchema.safeParse(data);
  if (!r.success) throw new ApiKeysFileError(file, r.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  return r.data;
}

/**
 * The keys a server accepts, looked up by id and compared in constant time. `fromFile` re-reads
 * the file when its size or mtime changes (checked at most every `reloadIntervalMs`), so a key
 * can be added or revoked without a restart; a file that has become invalid is reported through
 * `onReloadError` and the previous keys stay in force.
 */
export class ApiKeyRegistry {
  private byId: Map<string, ApiKeyRecord>;
  private lastCheck = 0;
  private signature = '';
  private checking: Promise<void> | undefined;

  private constructor(
    records: readonly ApiKeyRecord[],
    private readonly file?: { path: string; reloadIntervalMs: number; onReloadError?: (err: Error) => void; onReload?: (count: number) => void },
  ) {
    this.byId = new Map(records.map((r) => [r.id, r]));
  }

  static fromRecords(records: readonly ApiKeyRecord[]): ApiKeyRegistry {
    return new ApiKeyRegistry(records);
  }

  /** Reads and validates the file now; rejects with ApiKeysFileError (fail fast at start-up). */
  static async fromFile(
    path: string,
    opts: { reloadIntervalMs?: number; onReloadError?: (err: Error) => void; onReload?: (count: number) => void } = {},
  ): Promise<ApiKeyRegistry> {
    const reg = new ApiKeyRegistry([], { path, reloadIntervalMs: opts.reloadIntervalMs ?? 5000, ...opts });
    await reg.load();
    return reg;
  }

  get size(): number {
    return this.byId.size;
  }

  private async load(): Promise<void> {
    const path = this.file?.path as string;
    const info = await stat(path).catch((err: unknown) => {
      throw new ApiKeysFileError(path, ['cannot be read'], { cause: err });
    });
    if (info.size > 10 * 1024 * 1024) throw new ApiKeysFileError(path, ['larger than 10 MiB']);
    const text = await readFile(path, 'utf8').catch((err: unknown) => {
      throw new ApiKeysFileError(path, ['cannot be read'], { cause: err });
    });
    const parsed = parseApiKeysFile(text, path);
    this.byId = new Map(parsed.keys.map((r) => [r.id, r]));
    this.signature = `${info.size}:${info.mtimeMs}`;
  }

  private async maybeReload(): Promise<void> {
    const f = this.file;
    if (!f || Date.now() - this.lastCheck < f.reloadIntervalMs) return;
    this.lastCheck = Date.now();
    this.checking ??= (async () => {
      try {
        const info = await stat(f.path);
        if (`${info.size}:${info.mtimeMs}` === this.signature) return;
        await this.load();
        f.onReload?.(this.byId.size);
      } catch (err) {
        f.onReloadError?.(err instanceof Error ? err : new Error(String(err)));
      } finally {
        this.checking = undefined;
      }
    })();
    await this.checking;
  }

  /** Checks a presented key. Never throws; never says more than the reason. */
  async check(presented: string, now: Date = new Date()): Promise<KeyCheck> {
    await this.maybeReload();
    const parsed = parseApiKey(presented);
    if (!parsed) return { ok: false, reason: 'malformed' };
    const record = this.byId.get(parsed.id);
    // Hash even when the id is unknown, so both paths do the same work.
    const presentedHash = Buffer.from(hashApiKey(parsed.key), 'utf8');
    const storedHash = Buffer.from(record?.hash ?? hashApiKey(''), 'utf8');
    const same = presentedHash.length === storedHash.length && timingSafeEqual(presentedHash, storedHash);
    if (!record) return { ok: false, reason: 'unknown_key', keyId: parsed.id };
    if (!same) return { ok: false, reason: 'bad_secret', keyId: parsed.id };
    if (record.revoked) return { ok: false, reason: 'revoked', keyId: parsed.id };
    if (Date.parse(record.expires_at) <= now.getTime()) return { ok: false, reason: 'expired', keyId: parsed.id };
    return { ok: true, record };
  }
}
