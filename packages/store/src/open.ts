import type { PGlite } from '@electric-sql/pglite';
import type { StoreLogger } from './driver.js';
import type { StoreConfig } from './config.js';
import { createPgDriver, redactDatabaseUrl } from './drivers/pg.js';
import { createPgliteDriver } from './drivers/pglite.js';
import { StoreError } from './errors.js';
import type { Migration } from './migrations.js';
import { RunStore } from './store.js';

export const DEFAULT_STORE_DIR = './.stats-agent/store';

export interface OpenStoreOptions extends StoreConfig {
  logger?: StoreLogger;
  /** An existing PGlite instance to use (tests); it is not closed with the store. */
  pglite?: PGlite;
  /** For tests: another list of migrations. */
  migrations?: readonly Migration[];
}

/**
 * Opens the run store and brings its schema up to date: a Postgres server when `databaseUrl`
 * is set, else PGlite — in memory with `memory: true`, else in `dataDir` (default
 * `./.stats-agent/store`). Resolves when the store is usable. Throws a StoreError:
 * STORE_ERR_UNAVAILABLE (server unreachable, login refused), STORE_ERR_SCHEMA (database newer
 * than the code), STORE_ERR_LOCKED (the directory is in use). Close it with `store.close()`.
 */
export async function openStore(opts: OpenStoreOptions = {}): Promise<RunStore> {
  const storeOpts: { logger?: StoreLogger; migrations?: readonly Migration[] } = {};
  if (opts.logger !== undefined) storeOpts.logger = opts.logger;
  if (opts.migrations !== undefined) storeOpts.migrations = opts.migrations;
  if (opts.databaseUrl !== undefined && opts.databaseUrl !== '') {
    if (opts.memory === true || opts.pglite !== undefined) {
      throw new StoreError('STORE_ERR_CONFIG', 'store: databaseUrl and an embedded database were both given; choose one');
    }
    const driver = createPgDriver({
      connectionString: opts.databaseUrl,
      poolMax: opts.poolMax ?? 10,
      statementTimeoutMs: opts.statementTimeoutMs ?? 15_000,
      connectTimeoutMs: opts.connectTimeoutMs ?? 5_000,
      idleTimeoutMs: opts.idleTimeoutMs ?? 30_000,
      ...(opts.logger === undefined ? {} : { logger: opts.logger }),
    });
    const store = await RunStore.open(driver, storeOpts);
    opts.logger?.info({ driver: 'postgres', db: redactDatabaseUrl(opts.databaseUrl), schema: store.migration.version }, 'store: open');
    return store;
  }
  const driver = await createPgliteDriver({
    ...(opts.pglite === undefined ? {} : { db: opts.pglite }),
    ...(opts.memory === true ? { memory: true } : { dataDir: opts.dataDir ?? DEFAULT_STORE_DIR }),
    ...(opts.logger === undefined ? {} : { logger: opts.logger }),
  });
  const store = await RunStore.open(driver, storeOpts);
  opts.logger?.info({ driver: 'pglite', dir: opts.pglite !== undefined || opts.memory === true ? ':memory:' : (opts.dataDir ?? DEFAULT_STORE_DIR), schema: store.migration.version }, 'store: open');
  return store;
}
