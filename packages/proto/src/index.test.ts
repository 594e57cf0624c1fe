import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadProtos } from './index.js';

test('loadProtos loads every service with the shared options', () => {
  const p = loadProtos();
  assert.deepEqual(Object.keys(p.research.ResearchService.service), ['Search', 'Forget']);
  assert.deepEqual(Object.keys(p.synthesis.SynthesisService.service), ['Extract']);
  assert.deepEqual(Object.keys(p.verification.VerificationService.service), ['Verify']);
  assert.equal(p.workload.SpiffeWorkloadAPI.service.FetchX509SVID.path, '/SpiffeWorkloadAPI/FetchX509SVID');
  assert.equal(p.health.Health.service.Check.path, '/grpc.health.v1.Health/Check');
  // keepCase: snake_case field names, as in the public JSON.
  const fields = p.verification.VerificationService.service.Verify.responseDeserialize;
  assert.equal(typeof fields, 'function');
  assert.equal(loadProtos(), p, 'memoized');
});
