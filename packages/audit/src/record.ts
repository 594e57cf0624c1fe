/**
 * The audit record: what one security-relevant event looks like on disk and in the store, how
 * its hash is computed, and the checks that keep personal data and secrets out of it.
 *
 * A record holds identifiers and codes only. Free text (a topic, an error message, a name) has
 * no field to go into: `resource` and `detail` values allow no spaces and no `@`, actor ids that
 * look like an e-mail address, a JWT, a name or anything long are replaced by their hash.
 */
import { createHash, createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { canonicalJson } from './canonical.js';
import { AuditError } from './errors.js';

/** The closed list of things the audit trail records. Add to it; never reuse a name for something else. */
export const AUDIT_ACTIONS = [
  'auth.success',
  'auth.failure',
  'authz.denied',
  'rate_limit.exceeded',
  'mtls.denied',
  'run.created',
  'run.finished',
  'run.resumed',
  'run.cancelled',
  'subject.erased',
  'dlq.retried',
  'dlq.dropped',
  'dlq.dead_lettered',
  'secret.loaded',
  'secret.rotated',
  'secret.load_failed',
  'api_key.created',
  'api_key.revoked',
  'audit.started',
  'audit.segment_started',
  'audit.records_dropped',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const ACTOR_KINDS = ['api_key', 'jwt', 'spiffe', 'system', 'anonymous'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

export const OUTCOMES = ['success', 'failure', 'denied'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const HASH_ALGS = ['sha256', 'hmac-sha256'] as const;
export type HashAlg = (typeof HASH_ALGS)[number];

/** `prev_hash` of the first record of a chain (and of every segment). */
export const GENESIS_HASH = '0'.repeat(64);
export const RECORD_VERSION = 1;

const HEX64 = /^[0-9a-f]{64}$/;
/** Identifiers, codes, paths and hashes: no whitespace, no `@`, no quotes. */
const TOKEN = /^[A-Za-z0-9_.:/+=#*,-]+$/;
const ACTOR_ID = /^[\x21-\x3f\x41-\x7e]{1,128}$/; // printable ASCII without space and '@'
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const DETAIL_KEY = /^[a-z][a-z0-9_]{0,31}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const EMAIL_LIKE = /[^\s@]+@[^\s@]+\.[^\s@]+/;
const JWT_LIKE = /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const HASHED_ID = /^(?:sha256|hmac-sha256):[0-9a-f]{32}$/;

export const MAX_DETAIL_KEYS = 8;
export const MAX_DETAIL_STRING = 128;
export const MAX_RESOURCE = 256;

const detailValue = z.union([
  z.string().max(MAX_DETAIL_STRING).regex(TOKEN, 'detail strings are codes: letters, digits and _.:/+=#*,- only'),
  z.number().finite(),
  z.boolean(),
]);

/**
 * `detail`: at most 8 small key → code pairs (a reason code, a count, a hash), never a sentence.
 */
export const detailSchema = z
  .record(z.string().regex(DETAIL_KEY, 'detail keys are snake_case'), detailValue)
  .refine((d) => Object.keys(d).length <= MAX_DETAIL_KEYS, `at most ${MAX_DETAIL_KEYS} detail keys`);
export type AuditDetail = z.infer<typeof detailSchema>;

export const actorSchema = z.strictObject({
  kind: z.enum(ACTOR_KINDS),
  id: z.string().regex(ACTOR_ID, 'actor ids are printable ASCII without spaces or @'),
});
export type AuditActor = z.infer<typeof actorSchema>;

const resourceSchema = z.string().min(1).max(MAX_RESOURCE).regex(TOKEN, 'resources are identifiers: no spaces, no @, no quotes');

/** A record as written: every field, the hash last. */
export const recordSchema = z.strictObject({
  v: z.literal(RECORD_VERSION),
  alg: z.enum(HASH_ALGS),
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  time: z.string().regex(ISO_UTC, 'time is ISO 8601 UTC with milliseconds'),
  actor: actorSchema,
  action: z.enum(AUDIT_ACTIONS),
  resource: resourceSchema,
  outcome: z.enum(OUTCOMES),
  source_ip: z.string().refine((s) => isIP(s) !== 0, 'source_ip is an IP address').optional(),
  request_id: z.string().regex(REQUEST_ID).optional(),
  detail: detailSchema.optional(),
  prev_hash: z.string().regex(HEX64),
  hash: z.string().regex(HEX64),
});
export type AuditRecord = z.infer<typeof recordSchema>;

/** What a caller hands to the log; the log adds `v`, `alg`, `seq`, `time` (unless given), `prev_hash` and `hash`. */
export interface AuditEvent {
  actor: { kind: ActorKind; id: string };
  action: AuditAction;
  /** What was acted on, as an identifier: `run:<id>`, `rpc:/pkg.Svc/Method`, `http:POST:/v1/runs`, `secret:OPENAI_API_KEY`, `topic:<hashTopic(...)>`. */
  resource: string;
  outcome: Outcome;
  source_ip?: string | undefined;
  request_id?: string | undefined;
  detail?: AuditDetail | undefined;
  /** Event time; defaults to now. Always written as UTC. An invalid `source_ip` is left out and an invalid `request_id` hashed — never the event refused for them. */
  time?: Date | undefined;
}

/**
 * A one-way, linkable stand-in for text that must not be stored (a topic, an e-mail address):
 * `hmac-sha256:<32 hex>` with a key, else `sha256:<32 hex>`. The text is NFKC-normalized,
 * trimmed, whitespace-collapsed and lower-cased first, so the same topic typed twice links.
 * Without a key the hash can be reversed by guessing likely texts (a dictionary of topics or
 * e-mail addresses): use a key (`AUDIT_HMAC_KEY`) wherever the text is sensitive.
 */
export function hashTopic(text: string, key?: string | Buffer): string {
  const normalized = text.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
  if (key !== undefined && key.length > 0) {
    return `hmac-sha256:${createHmac('sha256', key).update(`audit-link\0${normalized}`).digest('hex').slice(0, 32)}`;
  }
  return `sha256:${createHash('sha256').update(`audit-link\0${normalized}`).digest('hex').slice(0, 32)}`;
}

/**
 * The actor id as stored: SPIFFE IDs, key ids and plain subjects as they are; anything that
 * looks like an e-mail address, a JWT, a name (spaces, non-ASCII) or is longer than 128
 * characters is replaced by `hashTopic(id, key)`. An empty id becomes `-`.
 */
export function redactActorId(id: string, key?: string | Buffer): string {
  if (id.length === 0) return '-';
  if (HASHED_ID.test(id)) return id;
  if (EMAIL_LIKE.test(id) || JWT_LIKE.test(id) || !ACTOR_ID.test(id)) return hashTopic(id, key);
  return id;
}

/** The record without its hash, serialized canonically: the bytes that are hashed. */
export function hashInput(record: Record<string, unknown>): string {
  const { hash: _hash, ...rest } = record;
  return canonicalJson(rest);
}

/** SHA-256, or HMAC-SHA-256 with `key`, of the canonical record without `hash`; hex. */
export function computeHash(record: Record<string, unknown>, key?: string | Buffer): string {
  const input = hashInput(record);
  return key !== undefined
    ? createHmac('sha256', key).update(input).digest('hex')
    : createHash('sha256').update(input).digest('hex');
}

/**
 * Validates an event and normalizes it into the fields of a record (without chain fields).
 * Throws `AuditError('AUDIT_ERR_INVALID_EVENT')` naming every problem — never the offending text.
 */
export function normalizeEvent(event: AuditEvent, linkKey?: string | Buffer): Omit<AuditRecord, 'v' | 'alg' | 'seq' | 'prev_hash' | 'hash'> {
  const problems: string[] = [];
  const time = event.time ?? new Date();
  if (!(time instanceof Date) || Number.isNaN(time.getTime())) problems.push('time: not a valid Date');
  const actorKind = actorSchema.shape.kind.safeParse(event.actor?.kind);
  if (!actorKind.success) problems.push('actor.kind: not one of ' + ACTOR_KINDS.join(', '));
  const actorId = typeof event.actor?.id === 'string' ? redactActorId(event.actor.id, linkKey) : undefined;
  if (actorId === undefined) problems.push('actor.id: must be a string');
  const fields = {
    time: problems.length === 0 ? time.toISOString() : '1970-01-01T00:00:00.000Z',
    actor: { kind: event.actor?.kind, id: actorId ?? '-' },
    action: event.action,
    resource: event.resource,
    outcome: event.outcome,
    // Request ids and addresses come from outside: a bad one must not cost the event (an attacker
    // could otherwise dodge the audit trail with a strange header), so it is hashed or left out.
    ...(typeof event.source_ip === 'string' && isIP(event.source_ip) !== 0 ? { source_ip: event.source_ip } : {}),
    ...(typeof event.request_id === 'string' ? { request_id: REQUEST_ID.test(event.request_id) ? event.request_id : hashTopic(event.request_id, linkKey) } : {}),
    ...(event.detail !== undefined ? { detail: event.detail } : {}),
  };
  const parsed = recordSchema
    .omit({ v: true, alg: true, seq: true, prev_hash: true, hash: true })
    .safeParse(fields);
  if (!parsed.success) {
    // Name the field and the rule, never the value (it may be the very text we keep out).
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.') || '(event)'}: ${issue.message}`);
  }
  if (problems.length > 0 || !parsed.success) {
    throw new AuditError('AUDIT_ERR_INVALID_EVENT', `audit: invalid ${String(event.action)} event:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { problems });
  }
  return parsed.data;
}
