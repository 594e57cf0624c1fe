/**
 * The store's environment variables as a zod shape, for a service's `config.ts` to extend its
 * own schema with (`schema.extend(storeEnvShape)`), and `parseStoreEnv` for one that has none.
 * Nothing here reads `process.env`: the caller passes the environment in.
 */
import { z } from 'zod';
import { problemsError } from './errors.js';

const envInt = (def: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((v) => v ?? def);

const databaseUrl = z
  .string()
  .trim()
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.pathname.length > 1;
    } catch {
      return false;
    }
  }, 'must be postgres://user:password@host:port/database (the password is never logged)');

export const storeEnvShape = {
  /** A Postgres server; unset: the embedded PGlite in STORE_DIR. */
  DATABASE_URL: databaseUrl.optional().or(z.literal('').transform(() => undefined)),
  /** PGlite's directory (ignored with DATABASE_URL). */
  STORE_DIR: z.string().trim().min(1).default('./.stats-agent/store'),
  DATABASE_POOL_MAX: envInt(10, 1, 100),
  DATABASE_STATEMENT_TIMEOUT_MS: envInt(15_000, 100, 600_000),
  DATABASE_CONNECT_TIMEOUT_MS: envInt(5_000, 100, 120_000),
  DATABASE_IDLE_TIMEOUT_MS: envInt(30_000, 1_000, 3_600_000),
  /** Finished runs are deleted this many days after they finished; 0 keeps them. */
  RUN_RETENTION_DAYS: envInt(30, 0, 3_650),
};

export const storeEnvSchema = z.object(storeEnvShape);
export type StoreEnv = z.output<typeof storeEnvSchema>;

/** What `openStore` takes. */
export interface StoreConfig {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  memory?: boolean | undefined;
  poolMax?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
}

/** Parses the store's variables from `env`; throws STORE_ERR_CONFIG listing every bad variable (never its value). */
export function parseStoreEnv(env: Readonly<Record<string, string | undefined>>): StoreEnv {
  const parsed = storeEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw problemsError(
      'STORE_ERR_CONFIG',
      'invalid configuration',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    );
  }
  return parsed.data;
}

/** `openStore` options from parsed variables. */
export function storeConfigFromEnv(env: StoreEnv): StoreConfig {
  return {
    databaseUrl: env.DATABASE_URL,
    dataDir: env.STORE_DIR,
    poolMax: env.DATABASE_POOL_MAX,
    statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
    idleTimeoutMs: env.DATABASE_IDLE_TIMEOUT_MS,
  };
}

/** The cut-off for retention: runs that finished before it are purged; null when retention is off (0 days). */
export function retentionCutoff(days: number, now = new Date()): Date | null {
  return days <= 0 ? null : new Date(now.getTime() - days * 86_400_000);
}
