import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TtlCache } from './index.js';

test('entries expire after the TTL and the least recently used goes first', { timeout: 5000 }, async () => {
  let t = 0;
  const c = new TtlCache<string, number>({ maxEntries: 2, ttlMs: 100, now: () => t });
  c.set('a', 1);
  c.set('b', 2);
  assert.equal(c.get('a'), 1); // a is now the most recent
  c.set('c', 3); // evicts b
  assert.equal(c.get('b'), undefined);
  assert.equal(c.get('a'), 1);
  t = 150;
  assert.equal(c.get('a'), undefined, 'expired');
  assert.equal(c.size, 1);
  let loads = 0;
  const load = async () => ++loads;
  assert.equal(await c.getOrLoad('x', load), 1);
  assert.equal(await c.getOrLoad('x', load), 1);
  assert.equal(loads, 1);
  await assert.rejects(c.getOrLoad('y', () => Promise.reject(new Error('no'))), /no/);
  assert.equal(c.get('y'), undefined, 'failures are not cached');
  assert.throws(() => new TtlCache({ maxEntries: 0, ttlMs: 1 }), RangeError);
});
