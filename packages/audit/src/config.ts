/**
 * The audit log's environment variables, parsed once with zod. Every problem is reported at
 * once; the key is never part of a message.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AuditError } from './errors.js';
import type { AuditLogOptions, FsyncPolicy } from './writer.js';

export interface AuditConfig {
  /** `AUDIT_LOG_FILE`; undefined: no audit file. */
  file: string | undefined;
  hmacKey: string | undefined;
  fsync: FsyncPolicy;
  maxQueue: number;
  maxWaitMs: number;
  maxSegmentBytes: number;
}

const intIn = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const schema = z.object({
  AUDIT_LOG_FILE: z.string().min(1).optional(),
  AUDIT_HMAC_KEY: z.string().min(32, 'at least 32 characters (e.g. `openssl rand -hex 32`)').optional(),
  AUDIT_FSYNC: z.enum(['always', 'batch', 'never']).default('batch'),
  AUDIT_QUEUE_MAX: intIn(1, 1_000_000).default(1000),
  AUDIT_QUEUE_WAIT_MS: intIn(0, 60_000).default(1000),
  AUDIT_SEGMENT_MAX_BYTES: intIn(4096, 1024 ** 4).default(32 * 1024 * 1024),
});

/**
 * Reads the audit variables from `env` (pass `process.env` from the service's config.ts).
 * Throws `AuditError('AUDIT_ERR_CONFIG')` listing every problem.
 */
export function auditConfigFromEnv(env: Record<string, string | undefined>): Readonly<AuditConfig> {
  const pick = (k: string): string | undefined => (env[k] === '' ? undefined : env[k]);
  const keyFile = pick('AUDIT_HMAC_KEY_FILE');
  const early: string[] = [];
  let fileKey: string | undefined;
  if (keyFile !== undefined) {
    // A mounted secret (Kubernetes, Docker): read once at start-up; one trailing newline trimmed.
    if (pick('AUDIT_HMAC_KEY') !== undefined) early.push('AUDIT_HMAC_KEY_FILE: set AUDIT_HMAC_KEY or AUDIT_HMAC_KEY_FILE, not both');
    else {
      try {
        fileKey = readFileSync(keyFile, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        early.push(`AUDIT_HMAC_KEY_FILE: cannot read ${keyFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
  }
  const parsed = schema.safeParse({
    AUDIT_LOG_FILE: pick('AUDIT_LOG_FILE'),
    AUDIT_HMAC_KEY: fileKey ?? pick('AUDIT_HMAC_KEY'),
    AUDIT_FSYNC: pick('AUDIT_FSYNC'),
    AUDIT_QUEUE_MAX: pick('AUDIT_QUEUE_MAX'),
    AUDIT_QUEUE_WAIT_MS: pick('AUDIT_QUEUE_WAIT_MS'),
    AUDIT_SEGMENT_MAX_BYTES: pick('AUDIT_SEGMENT_MAX_BYTES'),
  });
  if (!parsed.success || early.length > 0) {
    const problems = [...early, ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`))];
    throw new AuditError('AUDIT_ERR_CONFIG', `audit: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { problems });
  }
  const d = parsed.data as z.output<typeof schema>;
  return Object.freeze({ file: d.AUDIT_LOG_FILE, hmacKey: d.AUDIT_HMAC_KEY, fsync: d.AUDIT_FSYNC, maxQueue: d.AUDIT_QUEUE_MAX, maxWaitMs: d.AUDIT_QUEUE_WAIT_MS, maxSegmentBytes: d.AUDIT_SEGMENT_MAX_BYTES });
}

/** The writer options for a parsed configuration (the file must be set). */
export function auditLogOptions(config: AuditConfig, extra: Partial<AuditLogOptions> = {}): AuditLogOptions {
  if (config.file === undefined) throw new AuditError('AUDIT_ERR_CONFIG', 'audit: AUDIT_LOG_FILE is not set');
  return { file: config.file, hmacKey: config.hmacKey, fsync: config.fsync, maxQueue: config.maxQueue, maxWaitMs: config.maxWaitMs, maxSegmentBytes: config.maxSegmentBytes, ...extra };
}
