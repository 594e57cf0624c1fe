#!/usr/bin/env node
// Runs every workspace's compiled tests in ONE node:test run so the suite ends with the test
// runner's own summary. Test files are the compiled `dist/**/*.test.js` of each workspace.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const groups = ['packages', 'apps', 'tests'];
const files = [];

function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') walk(full);
    } else if (entry.name.endsWith('.test.js')) {
      files.push(relative(root, full));
    }
  }
}

for (const group of groups) {
  const base = join(root, group);
  if (!existsSync(base)) continue;
  for (const ws of readdirSync(base)) {
    const dist = join(base, ws, 'dist');
    if (existsSync(dist) && statSync(dist).isDirectory()) walk(dist);
  }
}
if (files.length === 0) {
  console.error('run-tests: no compiled tests found; run the build first');
  process.exit(1);
}
files.sort();
const filter = process.argv[2];
const selected = filter ? files.filter((f) => f.includes(filter)) : files;
const result = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-concurrency=2', ...selected],
  { stdio: 'inherit', cwd: root, env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
