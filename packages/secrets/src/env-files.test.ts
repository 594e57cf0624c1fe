import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createLogger, SecretScrubber } from '@stats-agent/logging';
import { loadSecrets, readSecretFile, SecretsError, type Secrets } from './index.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'secrets-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function waitFor(cond: () => boolean, what: string, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function rejects(p: Promise<unknown>): Promise<SecretsError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SecretsError, String(err));
    return err;
  }
  assert.fail('expected a SecretsError');
}

test('environment variables: loaded, get/require/has, undeclared names refused', { timeout: 5000 }, async () => {
  const s = await loadSecrets({ env: { SERPER_API_KEY: 'serper-env-value-1' }, declare: [{ name: 'SERPER_API_KEY' }, { name: 'OPENAI_API_KEY', required: false }], scrubber: false });
  try {
    assert.equal(s.provider, 'env');
    assert.equal(s.get('SERPER_API_KEY'), 'serper-env-value-1');
    assert.equal(s.require('SERPER_API_KEY'), 'serper-env-value-1');
    assert.equal(s.get('OPENAI_API_KEY'), undefined);
    assert.equal(s.has('OPENAI_API_KEY'), false);
    assert.throws(() => s.require('OPENAI_API_KEY'), (e: unknown) => e instanceof SecretsError && e.code === 'SECRETS_ERR_MISSING' && e.message.includes('OPENAI_API_KEY'));
    assert.throws(() => s.get('NOT_DECLARED'), (e: unknown) => e instanceof SecretsError && e.code === 'SECRETS_ERR_UNDECLARED');
    assert.deepEqual(s.values(), ['serper-env-value-1']);
  } finally {
    await s.close();
  }
});

test('start-up fails with every missing required variable named, no value in the error', { timeout: 5000 }, async () => {
  const err = await rejects(
    loadSecrets({ env: { OTHER: 'x', SERPAPI_API_KEY: 'present-value-99' }, declare: [{ name: 'SERPER_API_KEY' }, { name: 'OPENAI_API_KEY' }, { name: 'SERPAPI_API_KEY' }], scrubber: false }),
  );
  assert.equal(err.code, 'SECRETS_ERR_CONFIG');
  assert.match(err.message, /SERPER_API_KEY is required/);
  assert.match(err.message, /OPENAI_API_KEY is required/);
  assert.doesNotMatch(err.message, /SERPAPI_API_KEY/);
  assert.ok(!JSON.stringify({ ...err, message: err.message, stack: err.stack }).includes('present-value-99'));
});

test('*_FILE: read, one trailing newline trimmed (LF or CRLF), other whitespace kept', { timeout: 5000 }, async () => {
  await writeFile(join(dir, 'a'), 'value-a-123\n');
  await writeFile(join(dir, 'b'), 'value-b-123\r\n');
  await writeFile(join(dir, 'c'), 'value-c-123\n\n');
  await writeFile(join(dir, 'd'), ' spaced value ');
  assert.equal(await readSecretFile(join(dir, 'a'), 'A_FILE'), 'value-a-123');
  assert.equal(await readSecretFile(join(dir, 'b'), 'B_FILE'), 'value-b-123');
  assert.equal(await readSecretFile(join(dir, 'c'), 'C_FILE'), 'value-c-123\n');
  assert.equal(await readSecretFile(join(dir, 'd'), 'D_FILE'), ' spaced value ');
  const s = await loadSecrets({ env: { SERPER_API_KEY_FILE: join(dir, 'a') }, declare: [{ name: 'SERPER_API_KEY' }], scrubber: false });
  assert.equal(s.get('SERPER_API_KEY'), 'value-a-123');
  await s.close();
});

test('*_FILE problems: missing, empty, directory, too large, unreadable — all listed, by variable and path', { timeout: 5000 }, async () => {
  await writeFile(join(dir, 'empty'), '\n');
  await mkdir(join(dir, 'adir'), { recursive: true });
  await writeFile(join(dir, 'big'), 'x'.repeat(70 * 1024));
  await writeFile(join(dir, 'locked'), 'locked-secret-value');
  await chmod(join(dir, 'locked'), 0o000);
  const env = {
    A_KEY_FILE: join(dir, 'nope'),
    B_KEY_FILE: join(dir, 'empty'),
    C_KEY_FILE: join(dir, 'adir'),
    D_KEY_FILE: join(dir, 'big'),
    E_KEY_FILE: join(dir, 'locked'),
  };
  const err = await rejects(loadSecrets({ env, declare: ['A_KEY', 'B_KEY', 'C_KEY', 'D_KEY', 'E_KEY'].map((name) => ({ name, required: false })), scrubber: false }));
  assert.equal(err.code, 'SECRETS_ERR_FILE');
  assert.match(err.message, /A_KEY_FILE: cannot read .*nope \(ENOENT\)/);
  assert.match(err.message, /B_KEY_FILE: .*empty is empty/);
  assert.match(err.message, /C_KEY_FILE: .*adir is not a regular file/);
  assert.match(err.message, /D_KEY_FILE: .*big is larger than 65536 bytes/);
  // root reads any file: only check E when the permission bit is honoured
  if (process.getuid?.() !== 0) assert.match(err.message, /E_KEY_FILE: cannot read .*locked \(EACCES\)/);
  assert.ok(!err.message.includes('locked-secret-value'));
  assert.ok(!err.message.includes('xxxxxxxx'));
});

test('a rotated mounted file is picked up by refresh() and by the background timer; old values stay scrubbable', { timeout: 10000 }, async () => {
  const file = join(dir, 'rotating');
  await writeFile(file, 'first-value-0001\n');
  const s: Secrets = await loadSecrets({ env: { SERPER_API_KEY_FILE: file }, declare: [{ name: 'SERPER_API_KEY' }], scrubber: false, refreshIntervalMs: 0 });
  try {
    const changes: string[][] = [];
    s.onChange((c) => changes.push(c.names));
    await writeFile(file, 'second-value-0002\n');
    await s.refresh();
    assert.equal(s.get('SERPER_API_KEY'), 'second-value-0002');
    assert.deepEqual(changes, [['SERPER_API_KEY']]);
    assert.deepEqual(s.values().sort(), ['first-value-0001', 'second-value-0002']);
    // A broken rotation (empty file mid-write) keeps the last good value and reports it.
    await writeFile(file, '');
    await assert.rejects(s.refresh(), (e: unknown) => e instanceof SecretsError && e.code === 'SECRETS_ERR_FILE');
    assert.equal(s.get('SERPER_API_KEY'), 'second-value-0002');
    assert.equal(s.status().refreshFailing, true);
  } finally {
    await s.close();
  }
  const t = await loadSecrets({ env: { SERPER_API_KEY_FILE: file }, declare: [{ name: 'SERPER_API_KEY', required: false }], scrubber: false, refreshIntervalMs: 30 }).catch((e: unknown) => e);
  assert.ok(t instanceof SecretsError, 'an empty file is refused at start-up too');
  await writeFile(file, 'third-value-0003');
  const u = await loadSecrets({ env: { SERPER_API_KEY_FILE: file }, declare: [{ name: 'SERPER_API_KEY' }], scrubber: false, refreshIntervalMs: 30 });
  try {
    await writeFile(file, 'fourth-value-0004');
    await waitFor(() => u.get('SERPER_API_KEY') === 'fourth-value-0004', 'the timer to re-read the file');
  } finally {
    await u.close();
  }
});

test('loaded values are scrubbed from the log lines of a logger sharing the scrubber', { timeout: 5000 }, async () => {
  const scrubber = new SecretScrubber();
  const lines: string[] = [];
  const logger = createLogger({
    service: 't',
    scrubber,
    destination: new Writable({
      write(c: Buffer, _e, cb) {
        lines.push(...c.toString().split('\n').filter(Boolean));
        cb();
      },
    }),
  });
  const s = await loadSecrets({ env: { SERPER_API_KEY: 'serper-live-should-not-log' }, declare: [{ name: 'SERPER_API_KEY' }], logger, scrubber });
  try {
    logger.error({ upstream: { message: `bad key ${s.require('SERPER_API_KEY')}` } }, `calling with ${s.require('SERPER_API_KEY')}`);
    assert.ok(lines.length >= 2);
    const all = lines.join('\n');
    assert.ok(!all.includes('serper-live-should-not-log'), all);
    assert.ok(all.includes('[REDACTED]'));
    const loaded = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'secrets: loaded');
    assert.deepEqual(loaded?.['loaded'], ['SERPER_API_KEY'], 'the start-up line names what was loaded');
  } finally {
    await s.close();
  }
});
