// The repository suite against PGlite (in memory, one instance for the file: starting PGlite takes seconds).
import { after, before } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { createPgliteDriver } from './drivers/pglite.js';
import { openStore } from './open.js';
import { repositorySuite, type SuiteTarget } from './test-support/repository-suite.js';

let db: PGlite | undefined;
let target: SuiteTarget | undefined;

before(
  async () => {
    const pglite = await PGlite.create();
    db = pglite;
    const store = await openStore({ pglite });
    target = {
      store,
      firstOpen: store.migration,
      open: (opts = {}) => openStore({ pglite, ...opts }),
      sql: await createPgliteDriver({ db: pglite }),
    };
  },
  { timeout: 120_000 },
);

after(async () => {
  await target?.store.close();
  await db?.close();
});

repositorySuite('pglite', () => {
  if (target === undefined) throw new Error('PGlite did not start');
  return target;
});
