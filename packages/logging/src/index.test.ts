import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { acceptRequestId, createLogger, serializeError } from './index.js';

function capture(): { lines: Array<Record<string, unknown>>; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, stream };
}

test('every line carries the service name and level label', { timeout: 5000 }, () => {
  const { lines, stream } = capture();
  const log = createLogger({ service: 'research', destination: stream });
  log.child({ request_id: 'r-1' }).info({ n: 1 }, 'hello');
  assert.equal(lines[0]?.['service'], 'research');
  assert.equal(lines[0]?.['level'], 'info');
  assert.equal(lines[0]?.['request_id'], 'r-1');
  assert.equal(lines[0]?.['msg'], 'hello');
});

test('sensitive keys are redacted at the top and nested', { timeout: 5000 }, () => {
  const { lines, stream } = capture();
  const log = createLogger({ service: 's', destination: stream });
  log.info({ authorization: 'Bearer abc', headers: { 'x-api-key': 'k1', cookie: 'c' }, a: { b: { password: 'p' } } }, 'x');
  const text = JSON.stringify(lines[0]);
  for (const secret of ['Bearer abc', 'k1', '"c"', '"p"']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
});

test('errors keep message and cause but drop request config and headers', { timeout: 5000 }, () => {
  const err = Object.assign(new Error('boom', { cause: new Error('root') }), {
    code: 'ECONNRESET',
    config: { headers: { 'X-Vault-Token': 'hvs.secret' } },
  });
  const s = serializeError(err);
  assert.equal(s.message, 'boom');
  assert.equal(s.code, 'ECONNRESET');
  assert.equal(s.cause?.message, 'root');
  assert.ok(!JSON.stringify(s).includes('hvs.secret'));
});

test('request ids from outside are accepted only when plain', { timeout: 5000 }, () => {
  assert.equal(acceptRequestId('abc-123'), 'abc-123');
  assert.notEqual(acceptRequestId('bad id\n{"x":1}'), 'bad id\n{"x":1}');
  assert.notEqual(acceptRequestId('a'.repeat(65)), 'a'.repeat(65));
  assert.match(acceptRequestId(undefined), /^[0-9a-f-]{36}$/);
});
