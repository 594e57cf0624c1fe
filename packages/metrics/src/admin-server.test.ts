import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics, startAdminServer } from './index.js';

test('admin server answers healthz, readyz by its checks, metrics, and draining', { timeout: 10_000 }, async () => {
  const metrics = createMetrics('unit');
  metrics.grpcServerHandled.inc({ method: '/x.Y/Z', code: 'OK' });
  let ready = false;
  const admin = await startAdminServer({
    host: '127.0.0.1',
    port: 0,
    registry: metrics.registry,
    readiness: async () => ({ ready, checks: { svid: { ok: ready } } }),
  });
  try {
    assert.equal((await fetch(`${admin.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${admin.url}/readyz`)).status, 503);
    ready = true;
    const r = await fetch(`${admin.url}/readyz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { ready: true, checks: { svid: { ok: true } } });
    const m = await (await fetch(`${admin.url}/metrics`)).text();
    assert.match(m, /grpc_server_handled_total\{method="\/x.Y\/Z",code="OK",service="unit"\} 1/);
    assert.match(m, /process_cpu_user_seconds_total/);
    assert.equal((await fetch(`${admin.url}/nope`)).status, 404);
    assert.equal((await fetch(`${admin.url}/metrics`, { method: 'POST' })).status, 405);
    admin.setDraining();
    assert.equal((await fetch(`${admin.url}/readyz`)).status, 503);
  } finally {
    await admin.close();
  }
});

test('a readiness check that hangs counts as not ready', { timeout: 10_000 }, async () => {
  const admin = await startAdminServer({
    host: '127.0.0.1',
    port: 0,
    registry: createMetrics('unit2').registry,
    readiness: () => new Promise(() => undefined),
    readinessTimeoutMs: 100,
  });
  try {
    const r = await fetch(`${admin.url}/readyz`);
    assert.equal(r.status, 503);
    assert.match(JSON.stringify(await r.json()), /no answer in 100 ms/);
  } finally {
    await admin.close();
  }
});
