import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { mapWithConcurrency } from './index.js';

test('keeps order and never exceeds the limit', { timeout: 5000 }, async () => {
  let inFlight = 0;
  let peak = 0;
  const out = await mapWithConcurrency([5, 1, 4, 2, 3, 0], 2, async (n) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await sleep(n * 3);
    inFlight--;
    return n * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30, 0]);
  assert.equal(peak, 2);
});

test('rejects a bad limit and stops on abort', { timeout: 5000 }, async () => {
  await assert.rejects(mapWithConcurrency([1], 0, async (n) => n), RangeError);
  const ac = new AbortController();
  ac.abort(new Error('stop'));
  await assert.rejects(mapWithConcurrency([1, 2], 1, async (n) => n, ac.signal), /stop/);
});
