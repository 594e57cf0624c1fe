import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { ConfigError, envBool, envPort, hostPort, parseConfig, spiffeIdString } from './index.js';

const schema = z.object({
  PORT: envPort(8001),
  DEBUG: envBool(false),
  TARGET: hostPort('127.0.0.1:8002'),
  CALLER: spiffeIdString().default('spiffe://td/ns/a/sa/b'),
});

test('defaults apply, values coerce, result is frozen', { timeout: 5000 }, () => {
  const c = parseConfig('svc', schema, { PORT: '9000', DEBUG: 'true', TARGET: '' });
  assert.deepEqual({ ...c }, { PORT: 9000, DEBUG: true, TARGET: '127.0.0.1:8002', CALLER: 'spiffe://td/ns/a/sa/b' });
  assert.ok(Object.isFrozen(c));
});

test('every problem is reported at once, naming the variable but not its value', { timeout: 5000 }, () => {
  try {
    parseConfig('svc', schema, { PORT: 'seventy', DEBUG: 'maybe', TARGET: 'nocolon', CALLER: 'http://x' });
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 4);
    for (const v of ['PORT', 'DEBUG', 'TARGET', 'CALLER']) assert.match(err.message, new RegExp(`- ${v}:`));
    assert.ok(!err.message.includes('seventy'));
  }
});
