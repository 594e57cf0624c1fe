// The README's example, step by step (only the log destination differs: captured here).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '@stats-agent/logging';
import { loadSecrets, SecretsError } from './index.js';

test('README example: load, require at use, the value never reaches a log line, close', { timeout: 5000 }, async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  for (const line of ["const key = secrets.require('SERPER_API_KEY');", 'logger.info(`calling with ${key}`); // → "calling with [REDACTED]"', 'await secrets.close();']) {
    assert.ok(readme.includes(line), `README no longer shows: ${line}`);
  }

  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(c: Buffer, _e, cb) {
      for (const l of c.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const logger = createLogger({ service: 'research', destination });
  const env = { SERPER_API_KEY: 'serper-readme-example-key' };
  const secrets = await loadSecrets({
    env,
    declare: [
      { name: 'SERPER_API_KEY', required: true },
      { name: 'SERPAPI_API_KEY', required: false },
    ],
    logger,
  });
  const key = secrets.require('SERPER_API_KEY');
  logger.info(`calling with ${key}`);
  assert.equal(lines.at(-1)?.['msg'], 'calling with [REDACTED]');
  await secrets.close();

  // And the failure path the README describes: one error, every problem listed.
  await assert.rejects(
    loadSecrets({ env: {}, declare: [{ name: 'SERPER_API_KEY', required: true }], logger }),
    (err: unknown) => err instanceof SecretsError && err.problems.length === 1 && err.message.includes('SERPER_API_KEY is required'),
  );
});
