import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, isSensitiveKey, maskPii, registerSecretValues, SecretScrubber, defaultScrubber, MIN_SCRUB_LENGTH } from './index.js';

interface Captured {
  raw: string[];
  lines: Array<Record<string, unknown>>;
  stream: Writable;
}

function capture(): Captured {
  const raw: string[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) {
        raw.push(l);
        lines.push(JSON.parse(l) as Record<string, unknown>); // every line stays valid JSON
      }
      cb();
    },
  });
  return { raw, lines, stream };
}

const SERPER = 'serper-live-3f9a8b7c6d5e4f30';
const VAULT_TOKEN = 'hvs.CAESIJlU9fakeTokenValue0001';

test('sensitive keys are redacted at any depth and in any case', { timeout: 5000 }, () => {
  const { raw, lines, stream } = capture();
  const log = createLogger({ service: 's', destination: stream, scrubber: new SecretScrubber() });
  log.info(
    {
      req: { method: 'POST', headers: { authorization: 'Bearer tok-aaaaaaaa', Cookie: 'sid=cookie-bbbbbbbb', 'X-Api-Key': 'key-cccccccc', accept: 'application/json' } },
      deep: { a: { b: { c: { d: { e: { refresh_token: 'rt-dddddddd', SERPER_API_KEY: 'sk-eeeeeeee', clientSecret: 'cs-ffffffff' } } } } } },
      list: [{ password: 'pw-gggggggg' }, { secret_id: 'sid-hhhhhhhh' }],
      token_count: 42,
      max_tokens: 512,
    },
    'call',
  );
  const text = raw[0] ?? '';
  for (const leaked of ['tok-aaaaaaaa', 'cookie-bbbbbbbb', 'key-cccccccc', 'rt-dddddddd', 'sk-eeeeeeee', 'cs-ffffffff', 'pw-gggggggg', 'sid-hhhhhhhh']) {
    assert.ok(!text.includes(leaked), `${leaked} leaked: ${text}`);
  }
  const req = lines[0]?.['req'] as { headers: Record<string, unknown> };
  assert.equal(req.headers['authorization'], '[REDACTED]');
  assert.equal(req.headers['accept'], 'application/json', 'ordinary headers stay');
  assert.equal(lines[0]?.['token_count'], 42, 'counts named like tokens are not secrets');
  assert.equal(lines[0]?.['max_tokens'], 512);
});

test('isSensitiveKey: header spellings and *_API_KEY names, not lookalikes', { timeout: 5000 }, () => {
  for (const k of ['Authorization', 'X-Vault-Token', 'x_vault_token', 'set-cookie', 'SERPER_API_KEY', 'apiKey', 'id_token', 'private_key', 'secret_id', 'jwt']) {
    assert.ok(isSensitiveKey(k), k);
  }
  for (const k of ['max_tokens', 'token_count', 'monkey', 'keys', 'authorizer', 'secretary_count', 'spiffe_id']) {
    assert.ok(!isSensitiveKey(k), k);
  }
});

test('an AxiosError-like error logged under any key keeps no config, headers or body', { timeout: 5000 }, () => {
  const { raw, lines, stream } = capture();
  const log = createLogger({ service: 's', destination: stream, scrubber: new SecretScrubber() });
  const axiosLike = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8200'), {
    name: 'AxiosError',
    code: 'ECONNREFUSED',
    config: { headers: { 'X-Vault-Token': 'hvs.notInTheScrubber01' }, data: '{"jwt":"eyJhbGciOiJSUzI1NiJ9.jwt-body"}' },
    request: { _header: 'POST /v1/auth/kubernetes/login\r\nX-Vault-Token: hvs.notInTheScrubber01' },
    response: { headers: { 'set-cookie': 'x' } },
  });
  // AxiosError.toJSON() returns the config, headers included.
  Object.defineProperty(axiosLike, 'toJSON', { value: () => ({ message: axiosLike.message, config: axiosLike.config }) });
  log.error({ err: axiosLike }, 'vault login failed');
  log.error({ cause: axiosLike, nested: { inner: axiosLike } }, 'again');
  log.error(axiosLike);
  assert.equal(raw.length, 3);
  for (const line of raw) {
    assert.ok(!line.includes('hvs.notInTheScrubber01'), line);
    assert.ok(!line.includes('jwt-body'), line);
  }
  const err = lines[0]?.['err'] as Record<string, unknown>;
  assert.equal(err['message'], 'connect ECONNREFUSED 127.0.0.1:8200');
  assert.equal(err['code'], 'ECONNREFUSED');
  assert.equal(err['config'], undefined);
  assert.equal((lines[2]?.['err'] as Record<string, unknown>)['type'], 'AxiosError');
});

test('registered secret values are scrubbed from message, nested strings, error messages and stacks', { timeout: 5000 }, () => {
  const { raw, stream } = capture();
  const scrubber = new SecretScrubber();
  scrubber.set('secrets', [SERPER, VAULT_TOKEN, 'quote"and\\backslash-secret']);
  const log = createLogger({ service: 's', destination: stream, scrubber });
  const child = log.child({ bound: `child binding with ${SERPER}` });
  child.warn({ upstream: { body: `invalid key ${SERPER} (echoed)` }, odd: 'quote"and\\backslash-secret' }, 'search failed for key %s', SERPER);
  child.error({ err: new Error(`vault said: token ${VAULT_TOKEN} expired`) }, 'boom');
  assert.equal(raw.length, 2);
  for (const line of raw) {
    assert.ok(!line.includes(SERPER), line);
    assert.ok(!line.includes(VAULT_TOKEN), line);
    assert.ok(!line.includes('backslash-secret'), line);
    assert.ok(line.includes('[REDACTED]'), line);
  }
});

test('the process-wide scrubber is what createLogger uses by default; sources replace, not grow', { timeout: 5000 }, () => {
  const { raw, stream } = capture();
  const log = createLogger({ service: 's', destination: stream });
  registerSecretValues(['old-rotated-value-1'], 'test-source');
  registerSecretValues(['new-rotated-value-2'], 'test-source');
  log.info(`a=old-rotated-value-1 b=new-rotated-value-2`);
  assert.ok(raw[0]?.includes('a=old-rotated-value-1'), 'a replaced source forgets its old values');
  assert.ok(!raw[0]?.includes('new-rotated-value-2'));
  defaultScrubber.delete('test-source');
  log.info('b=new-rotated-value-2');
  assert.ok(raw[1]?.includes('new-rotated-value-2'));
});

test('short values are not scrubbed (they would mangle every line) and the set is bounded', { timeout: 5000 }, () => {
  const s = new SecretScrubber();
  s.set('x', ['abc', 'x'.repeat(MIN_SCRUB_LENGTH)]);
  assert.equal(s.size, 1);
  assert.equal(s.scrub('abc'), 'abc');
  assert.throws(() => s.set('y', Array.from({ length: 1001 }, (_, i) => `value-${i}-long`)), RangeError);
});

test('e-mail addresses keep only the domain; phone numbers only the last two digits', { timeout: 5000 }, () => {
  const { raw, lines, stream } = capture();
  const log = createLogger({ service: 's', destination: stream, scrubber: new SecretScrubber() });
  log.info(
    {
      user: { email: 'john.doe+tag@mail.example.co.uk', contact: { phone: '+44 20 7946 0958' } },
      us: ['(202) 555-0143', '202-555-0143', '202.555.0143', '1-800-555-0199', '+1 415 555 2671'],
      intl: ['+33 1 23 45 67 89', '+49 30 1234567', '+442079460958', '+91-98765-43210'],
      note: 'write to ops@stats.example.org\nor call 415-555-2671',
    },
    'contact jane_smith@example.com',
  );
  const text = raw[0] ?? '';
  for (const pii of ['john.doe', 'jane_smith', 'ops@', '7946 0958', '555-0143', '555.0143', '555-0199', '555 2671', '45 67 89', '1234567', '2079460958', '98765', '555-2671']) {
    assert.ok(!text.includes(pii), `${pii} leaked: ${text}`);
  }
  const line = lines[0] ?? {};
  assert.equal((line['user'] as { email: string }).email, '***@mail.example.co.uk');
  assert.equal((line['us'] as string[])[0], '***43');
  assert.equal((line['intl'] as string[])[2], '***58');
  assert.equal(line['msg'], 'contact ***@example.com');
});

test('no false positives: statistics, years, timestamps, IPs, UUIDs, versions, SPIFFE IDs and URLs stay', { timeout: 5000 }, () => {
  const keep = [
    '1,234,567',
    '12.4%',
    'In 2023, 1 234 567 people (12.5%) lived in cities; 2010-2020 growth was +3.5 percent',
    '2026-11-24T03:37:58.123Z',
    '127.0.0.1:8200',
    '[::1]:9100',
    '3f2c8d1e-5b6a-4c7d-9e8f-0a1b2c3d4e5f',
    'pino@10.4.0 and @stats-agent/logging',
    'spiffe://stats-agent.local/ns/stats-agent/sa/research',
    'https://data.example.org/series/202-555-0143?id=415-555-2671#p=+1-202-555-0143',
    'GDP 21,433,226 million USD; population 331,449,281',
    'ISBN 978-3-16-148410-0',
    'v1.234.5678',
    'took 1712345678901 ms',
    'ratio 100-200-3000',
  ];
  for (const s of keep) assert.equal(maskPii(s), s, s);
  const { lines, stream } = capture();
  const log = createLogger({ service: 's', destination: stream, scrubber: new SecretScrubber() });
  log.info({ stats: keep, value: 1234567, year: 2024 }, 'ok');
  assert.deepEqual(lines[0]?.['stats'], keep);
  assert.equal(lines[0]?.['value'], 1234567);
});

test('maskPii can be turned off per logger', { timeout: 5000 }, () => {
  const { lines, stream } = capture();
  const log = createLogger({ service: 's', destination: stream, maskPii: false, scrubber: new SecretScrubber() });
  log.info({ email: 'a.b@example.com' }, 'x');
  assert.equal(lines[0]?.['email'], 'a.b@example.com');
});

test('circular and very deep objects are logged without throwing', { timeout: 5000 }, () => {
  const { lines, stream } = capture();
  const log = createLogger({ service: 's', destination: stream, scrubber: new SecretScrubber() });
  const a: Record<string, unknown> = { name: 'a' };
  a['self'] = a;
  let deep: Record<string, unknown> = { token: 'deep-secret-value' };
  for (let i = 0; i < 30; i++) deep = { next: deep };
  log.info({ a, deep }, 'x');
  assert.equal((lines[0]?.['a'] as Record<string, unknown>)['self'], '[Circular]');
  assert.ok(!JSON.stringify(lines[0]).includes('deep-secret-value'));
});
