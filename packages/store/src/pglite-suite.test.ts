// The repository suite against PGlite (in memory, one instance for the file: starting PGlite takes seconds).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { createPgliteDriver } from './drivers/pglite.js';
import { StoreError } from './errors.js';
import { openStore } from './open.js';
import type { RunStore } from './store.js';
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

test('README example: a run from creation to success, the resumed step reused', { timeout: 30_000 }, async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const example = /```ts\nimport \{ openStore \} from '@stats-agent\/store';\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(example !== undefined, 'the README no longer has its example');
  if (db === undefined) throw new Error('PGlite did not start');
  // The example's lines, run as they are; only the store is opened on this file's PGlite.
  const body = example.replace(/^const store = await openStore\(.*\);.*$/m, '');
  assert.notEqual(body, example, 'the example opens the store with openStore(...)');
  const run = new Function('store', `return (async () => {\n${body}\nreturn run;\n})();`) as (s: RunStore) => Promise<{ id: string }>;
  const store = await openStore({ pglite: db });
  const { id } = await run(store);
  const check = await openStore({ pglite: db });
  try {
    const done = await check.getRun(id, 'key:analyst-1');
    assert.equal(done?.status, 'succeeded');
    assert.deepEqual(done?.result, { verified_count: 1 });
    assert.deepEqual((await check.itemsOf(id)).map((i) => i.status), ['verified']);
    assert.equal((await check.beginStep(id, 0, 'research', `${id}:0:research`)).status, 'completed');
    await assert.rejects(store.getRun(id), (err: unknown) => err instanceof StoreError && err.code === 'STORE_ERR_CLOSED', 'the example closes its store');
  } finally {
    await check.close();
  }
});
