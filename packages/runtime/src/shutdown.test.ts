import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@stats-agent/logging';
import { Writable } from 'node:stream';
import { installShutdown } from './index.js';

const quiet = createLogger({ service: 't', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

test('steps run in order, a failing step does not stop the rest, exit code reflects it', { timeout: 5000 }, async () => {
  const order: string[] = [];
  let code: number | undefined;
  const h = installShutdown({
    logger: quiet,
    exit: (c) => (code = c),
    steps: [
      { name: 'a', run: () => void order.push('a') },
      { name: 'b', run: () => Promise.reject(new Error('x')) },
      { name: 'c', run: async () => void order.push('c') },
    ],
  });
  await h.shutdown('test');
  assert.deepEqual(order, ['a', 'c']);
  assert.equal(code, 1);
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
});
