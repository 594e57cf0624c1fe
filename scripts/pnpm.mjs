#!/usr/bin/env node
// Runs the pinned pnpm through npx so that a fresh machine with only Node and npm needs no
// global install. The version comes from package.json#packageManager, the single source.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const { packageManager } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
const result = spawnSync('npx', ['--yes', packageManager, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env,
  cwd: root,
});
if (result.error) {
  console.error(`pnpm: could not start npx: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
