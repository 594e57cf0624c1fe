import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCorpusConfig } from './config.js';
import { sampleCorpusDir } from './documents.js';

describe('parseCorpusConfig', { timeout: 5_000 }, () => {
  it('defaults to the sample corpus on 127.0.0.1:8010', { timeout: 1_000 }, () => {
    const config = parseCorpusConfig([], {});
    assert.deepEqual({ ...config }, { dir: sampleCorpusDir(), host: '127.0.0.1', port: 8010, allowPublic: false, latencyMs: 0, help: false });
    assert.ok(Object.isFrozen(config));
  });

  it('reads CORPUS_DIR and CORPUS_PORT, and flags win over them', { timeout: 1_000 }, () => {
    const env = { CORPUS_DIR: '/srv/corpus', CORPUS_PORT: '9000' };
    assert.equal(parseCorpusConfig([], env).dir, '/srv/corpus');
    assert.equal(parseCorpusConfig([], env).port, 9000);
    const flagged = parseCorpusConfig(['--dir', '/tmp/other', '--port=0', '--host', '::1'], env);
    assert.equal(flagged.dir, '/tmp/other');
    assert.equal(flagged.port, 0);
    assert.equal(flagged.host, '::1');
    assert.equal(parseCorpusConfig([], { CORPUS_DIR: '  ', CORPUS_PORT: '' }).dir, sampleCorpusDir());
  });

  it('refuses a public host unless --allow-public is given', { timeout: 1_000 }, () => {
    assert.throws(() => parseCorpusConfig(['--host', '0.0.0.0'], {}), {
      code: 'CORPUS_ERR_BAD_CONFIG',
      message: /0\.0\.0\.0 is not a loopback address; pass --allow-public/,
    });
    const config = parseCorpusConfig(['--host', '0.0.0.0', '--allow-public'], {});
    assert.equal(config.allowPublic, true);
  });

  it('reports every problem at once', { timeout: 1_000 }, () => {
    assert.throws(() => parseCorpusConfig(['--host', '10.1.2.3'], { CORPUS_PORT: '80000' }), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.match(err.message, /^corpus: invalid configuration: /);
      assert.match(err.message, /port must be an integer from 0 to 65535, got "80000"/);
      assert.match(err.message, /host 10\.1\.2\.3 is not a loopback address/);
      return true;
    });
    for (const port of ['-1', '8o10', '1e3', '65536']) {
      assert.throws(() => parseCorpusConfig(['--port', port], {}), { code: 'CORPUS_ERR_BAD_CONFIG' }, port);
    }
    assert.throws(() => parseCorpusConfig(['--verbose'], {}), { code: 'CORPUS_ERR_BAD_CONFIG', message: /--verbose/ });
    assert.throws(() => parseCorpusConfig(['extra'], {}), { code: 'CORPUS_ERR_BAD_CONFIG' });
  });

  it('reads --latency-ms within bounds', { timeout: 1_000 }, () => {
    assert.equal(parseCorpusConfig(['--latency-ms', '250'], {}).latencyMs, 250);
    assert.throws(() => parseCorpusConfig(['--latency-ms', '90000'], {}), /latency-ms must be an integer from 0 to 60000/);
    assert.throws(() => parseCorpusConfig(['--latency-ms', 'slow'], {}), /latency-ms/);
  });

  it('recognises --help', { timeout: 1_000 }, () => {
    assert.equal(parseCorpusConfig(['--help'], {}).help, true);
    assert.equal(parseCorpusConfig(['-h'], {}).help, true);
  });
});
