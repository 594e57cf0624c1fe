import { createHash } from 'node:crypto';
import type { Driver, Queryable, StoreLogger } from './driver.js';
import { StoreError, toStoreError } from './errors.js';

/**
 * One schema change. Statements run in order, in one transaction with every other pending
 * migration. Released migrations are never edited (their checksum is recorded and checked at
 * every open): change the schema by appending a new one.
 */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

/** The key of the advisory lock that serializes migrations across processes. */
export const MIGRATION_LOCK_KEY = 727_170_501;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, steps, items, events, dead letters, audit records',
    statements: [
      `CREATE TABLE runs (
        id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
        owner text NOT NULL CHECK (length(owner) BETWEEN 1 AND 512),
        status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'dead')),
        workflow_version text NOT NULL,
        input jsonb NOT NULL,
        progress jsonb,
        result jsonb,
        error jsonb,
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        lease_owner text,
        lease_expires_at timestamptz,
        last_event_seq integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        CONSTRAINT runs_lease_iff_running CHECK ((status = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
        CONSTRAINT runs_finished_iff_final CHECK ((status IN ('succeeded', 'failed', 'cancelled', 'dead')) = (finished_at IS NOT NULL))
      )`,
      // listRuns(owner), eraseSubject(owner)
      `CREATE INDEX runs_owner_created ON runs (owner, created_at DESC, id)`,
      // claimResumable: abandoned runs, and runs never started
      `CREATE INDEX runs_running_lease ON runs (lease_expires_at) WHERE status = 'running'`,
      `CREATE INDEX runs_queued_created ON runs (created_at) WHERE status = 'queued'`,
      // purgeFinishedBefore
      `CREATE INDEX runs_finished ON runs (finished_at) WHERE finished_at IS NOT NULL`,

      `CREATE TABLE steps (
        idempotency_key text PRIMARY KEY CHECK (length(idempotency_key) BETWEEN 1 AND 300),
        run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        round integer NOT NULL CHECK (round >= 0),
        stage text NOT NULL CHECK (stage IN ('research', 'synthesis', 'verification')),
        status text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
        output jsonb,
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        error jsonb,
        started_at timestamptz,
        finished_at timestamptz,
        CONSTRAINT steps_completed_has_output CHECK (status <> 'completed' OR output IS NOT NULL)
      )`,
      `CREATE INDEX steps_run_round ON steps (run_id, round)`,

      `CREATE TABLE items (
        run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        item_key text NOT NULL CHECK (length(item_key) BETWEEN 1 AND 512),
        ord bigint GENERATED ALWAYS AS IDENTITY,
        round integer NOT NULL CHECK (round >= 0),
        candidate jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'verified', 'failed')),
        reason text,
        verdict jsonb,
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, item_key)
      )`,
      `CREATE INDEX items_run_ord ON items (run_id, ord)`,

      `CREATE TABLE run_events (
        run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq integer NOT NULL CHECK (seq >= 1),
        type text NOT NULL CHECK (length(type) BETWEEN 1 AND 64),
        data jsonb NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, seq)
      )`,

      `CREATE TABLE dead_letters (
        id text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('run', 'item')),
        run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        item_key text,
        owner text NOT NULL,
        last_error text NOT NULL,
        context jsonb NOT NULL DEFAULT '{}'::jsonb,
        attempts integer NOT NULL DEFAULT 0,
        state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'retried', 'dropped')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT dead_letters_item_has_key CHECK ((kind = 'item') = (item_key IS NOT NULL))
      )`,
      // One open dead letter per run or item: a repeat updates it.
      `CREATE UNIQUE INDEX dead_letters_one_open ON dead_letters (run_id, (coalesce(item_key, ''))) WHERE state = 'open'`,
      `CREATE INDEX dead_letters_state_created ON dead_letters (state, created_at DESC)`,
      `CREATE INDEX dead_letters_owner ON dead_letters (owner)`,
      `CREATE INDEX dead_letters_run ON dead_letters (run_id)`,

      `CREATE TABLE audit_records (
        seq bigint PRIMARY KEY CHECK (seq >= 1),
        hash text NOT NULL CHECK (length(hash) BETWEEN 1 AND 256),
        prev_hash text CHECK (prev_hash IS NOT NULL OR seq = 1),
        record jsonb NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now()
      )`,
      // Append-only in the database itself, not just by convention of the code above it.
      `CREATE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        RAISE EXCEPTION 'audit_records is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
      $fn$`,
      `CREATE TRIGGER audit_records_no_change BEFORE UPDATE OR DELETE ON audit_records
        FOR EACH ROW EXECUTE FUNCTION audit_records_append_only()`,
      `CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
        FOR EACH STATEMENT EXECUTE FUNCTION audit_records_append_only()`,
    ],
  },
];

export function migrationChecksum(m: Migration): string {
  return createHash('sha256').update(m.statements.join('\n;\n')).digest('hex');
}

export interface MigrationResult {
  /** The schema version after the migrations. */
  version: number;
  /** Versions applied by this call (empty when the database was already current). */
  applied: number[];
}

async function applyPending(tx: Queryable, migrations: readonly Migration[]): Promise<MigrationResult> {
  // Taken before anything else, so a second process starting at the same moment waits here
  // and then finds the work done, instead of racing to CREATE the same tables.
  await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
  await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await tx.query<{ version: number; checksum: string }>('SELECT version, checksum FROM schema_migrations ORDER BY version');
  const known = new Map(migrations.map((m) => [m.version, m]));
  const latest = migrations.at(-1)?.version ?? 0;
  const appliedVersions = new Set<number>();
  for (const row of rows) {
    const version = Number(row.version);
    const m = known.get(version);
    if (m === undefined) {
      throw new StoreError(
        'STORE_ERR_SCHEMA',
        version > latest
          ? `store: the database schema is at version ${Math.max(...rows.map((r) => Number(r.version)))}, newer than this code knows (${latest}); run the newer release, or restore a backup taken before the upgrade`
          : `store: the database has migration ${version}, which this code does not know; refusing to start`,
      );
    }
    if (row.checksum !== migrationChecksum(m)) {
      throw new StoreError('STORE_ERR_SCHEMA', `store: migration ${version} (${m.name}) differs from the one applied to this database; released migrations must not be edited`);
    }
    appliedVersions.add(version);
  }
  const applied: number[] = [];
  for (const m of migrations) {
    if (appliedVersions.has(m.version)) continue;
    for (const sql of m.statements) await tx.query(sql);
    await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, migrationChecksum(m)]);
    applied.push(m.version);
  }
  return { version: latest, applied };
}

/**
 * Brings the database to the newest schema this code knows, in one transaction under an
 * advisory lock. Throws STORE_ERR_SCHEMA when the database is newer than the code or an
 * applied migration was changed; nothing is changed then. `migrations` is for tests.
 */
export async function migrate(driver: Driver, opts: { logger?: StoreLogger; migrations?: readonly Migration[] } = {}): Promise<MigrationResult> {
  const migrations = [...(opts.migrations ?? MIGRATIONS)].sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (!Number.isInteger(m.version) || m.version < 1 || (i > 0 && m.version === migrations[i - 1]?.version)) {
      throw new StoreError('STORE_ERR_SCHEMA', `store: migration versions must be distinct positive integers (${m.version})`);
    }
  });
  let result: MigrationResult;
  try {
    result = await driver.transaction((tx) => applyPending(tx, migrations));
  } catch (err) {
    throw toStoreError(err, 'migrate');
  }
  if (result.applied.length > 0) opts.logger?.info({ applied: result.applied, version: result.version }, 'store: schema migrated');
  return result;
}
