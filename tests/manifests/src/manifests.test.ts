import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

for (const args of [[], ['--self-test']]) {
  test(`k8s/validate.mjs ${args.join(' ') || '(manifests)'}`, { timeout: 120_000, skip: hasKubectl ? false : 'kubectl is not installed' }, () => {
    const r = spawnSync(process.execPath, ['k8s/validate.mjs', ...args], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, / 0 failed/);
  });
}
