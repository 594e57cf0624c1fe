import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRateLimiter } from './rate-limit.js';

describe('rate limiting in memory', { timeout: 10_000 }, () => {
  test('the steady rate is split into small windows; the burst comes on top', () => {
    assert.deepEqual(createRateLimiter({ perMinute: 60, burst: 20 }).policy, { perMinute: 60, burst: 20, windowSec: 1, windowPoints: 1, burstWindowSec: 20 });
    assert.deepEqual(createRateLimiter({ perMinute: 100, burst: 0 }).policy, { perMinute: 100, burst: 0, windowSec: 3, windowPoints: 5, burstWindowSec: 3 });
    assert.deepEqual(createRateLimiter({ perMinute: 7, burst: 1 }).policy, { perMinute: 7, burst: 1, windowSec: 60, windowPoints: 7, burstWindowSec: 60 });
    assert.throws(() => createRateLimiter({ perMinute: 0, burst: 1 }), /RATE_LIMIT_PER_MINUTE/);
    assert.throws(() => createRateLimiter({ perMinute: 10, burst: -1 }), /RATE_LIMIT_BURST/);
  });

  test('a fresh client gets the steady window plus the burst at once, then is refused with a retry time', async () => {
    // 6/min = 1 point per 10 s; burst 3 → 4 at once.
    const rl = createRateLimiter({ perMinute: 6, burst: 3 });
    const got = [];
    for (let i = 0; i < 6; i++) got.push(await rl.consume('alice'));
    assert.deepEqual(got.map((d) => d.allowed), [true, true, true, true, false, false]);
    const refused = got[4];
    assert.ok(refused && refused.retryAfterSec >= 1 && refused.retryAfterSec <= 10, String(refused?.retryAfterSec));
    assert.equal(refused.remaining, 0);
    assert.equal(refused.degraded, false);
    const h = rl.headers(refused);
    assert.equal(h['retry-after'], String(refused.retryAfterSec));
    assert.equal(h['ratelimit-limit'], '1');
    assert.equal(h['ratelimit-remaining'], '0');
    assert.equal(h['ratelimit-policy'], '1;w=10, 6;w=30');
    assert.equal(rl.headers(got[0] as (typeof got)[0])['retry-after'], undefined);
    // Another principal has its own bucket.
    assert.equal((await rl.consume('bob')).allowed, true);
  });

  test('without a burst, exactly the window points pass', async () => {
    // 7/min: gcd(7, 60) = 1, so one window of 60 s with 7 points.
    const rl = createRateLimiter({ perMinute: 7, burst: 0 });
    const got = [];
    for (let i = 0; i < 8; i++) got.push((await rl.consume('k')).allowed);
    assert.deepEqual(got, [true, true, true, true, true, true, true, false]);
    assert.equal(rl.headers(await rl.consume('k'))['ratelimit-policy'], '7;w=60');
  });
});
