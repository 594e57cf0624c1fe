import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEndpointSocket } from './endpoint.js';
import { SpiffeError } from './errors.js';

const T = { timeout: 5000 };

test('parseEndpointSocket accepts unix:///abs, unix:/abs and a bare absolute path', T, () => {
  assert.equal(parseEndpointSocket('unix:///run/spire/agent.sock'), '/run/spire/agent.sock');
  assert.equal(parseEndpointSocket('unix:/run/spire/agent.sock'), '/run/spire/agent.sock');
  assert.equal(parseEndpointSocket('/tmp/dev/research.sock'), '/tmp/dev/research.sock');
  assert.equal(parseEndpointSocket('unix:///tmp/with%20space.sock'), '/tmp/with space.sock');
});

test('parseEndpointSocket refuses missing or unusable values, saying what to start and set', T, () => {
  for (const bad of [undefined, '', '  ', 'tcp://127.0.0.1:8081', 'unix://host/path.sock', 'unix:relative.sock', 'relative.sock', 'unix:///a.sock?x=1']) {
    assert.throws(
      () => parseEndpointSocket(bad),
      (err: unknown) => {
        assert.ok(err instanceof SpiffeError);
        assert.equal(err.code, 'SPIFFE_ERR_NO_SOCKET');
        assert.match(err.message, /stats-agent-spiffe-dev serve/);
        assert.match(err.message, /SPIFFE_ENDPOINT_SOCKET/);
        return true;
      },
      String(bad),
    );
  }
});
