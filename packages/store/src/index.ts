// @stats-agent/store: the durable run store — runs, steps, items, the progress stream, dead
// letters and audit records in Postgres (embedded PGlite by default, a server with DATABASE_URL).
export { openStore, DEFAULT_STORE_DIR, type OpenStoreOptions } from './open.js';
export {
  RunStore,
  MAX_BATCH,
  MAX_EVENTS_PER_RUN,
  MAX_LEASE_MS,
  type NewRun,
  type ItemUpdate,
  type NewDeadLetter,
  type DeadLetterFilter,
  type NewAuditRecord,
  type DeletedCounts,
  type StoreOptions,
} from './store.js';
export {
  RUN_STATUSES,
  FINAL_RUN_STATUSES,
  STAGES,
  STEP_STATUSES,
  ITEM_STATUSES,
  FINAL_ITEM_STATUSES,
  DEAD_LETTER_STATES,
  type Run,
  type RunStatus,
  type Step,
  type Stage,
  type StepStatus,
  type Item,
  type ItemStatus,
  type RunEvent,
  type DeadLetter,
  type DeadLetterState,
  type AuditRow,
} from './rows.js';
export { StoreError, type StoreErrorCode, type DatabaseErrorInfo } from './errors.js';
export { MIGRATIONS, migrate, type Migration, type MigrationResult } from './migrations.js';
export { storeEnvShape, storeEnvSchema, parseStoreEnv, storeConfigFromEnv, retentionCutoff, type StoreEnv, type StoreConfig } from './config.js';
export { createPgDriver, redactDatabaseUrl, type PgDriverOptions } from './drivers/pg.js';
export { createPgliteDriver, type PgliteDriverOptions } from './drivers/pglite.js';
export type { Driver, Queryable, QueryResult, QueryParam, Row, StoreLogger } from './driver.js';
export { startRetention, type Retention, type RetentionOptions } from './retention.js';
export { MAX_JSON_BYTES, MAX_TEXT_CHARS } from './json.js';
