#!/usr/bin/env node
// Generates TypeScript types from protos/ with proto-loader-gen-types, using the same loader
// options as loadProtos() (src/loader-options.json). With --check it generates into a temporary
// folder and fails when src/generated differs, so stale types cannot land.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, cpSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('../', import.meta.url));
const protoRoot = join(pkg, '..', '..', 'protos');
const target = join(pkg, 'src', 'generated');
const options = JSON.parse(readFileSync(join(pkg, 'src', 'loader-options.json'), 'utf8'));
const check = process.argv.includes('--check');

function listProtos(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return listProtos(full);
    return e.name.endsWith('.proto') ? [relative(protoRoot, full)] : [];
  });
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    return e.isDirectory() ? listFiles(full).map((f) => join(e.name, f)) : [e.name];
  });
}

const out = mkdtempSync(join(tmpdir(), 'proto-gen-'));
try {
  const args = [
    '--grpcLib=@grpc/grpc-js',
    `--outDir=${out}`,
    `-I=${protoRoot}`,
    '--importFileExtension=.js',
    `--longs=${options.longs}`,
    `--enums=${options.enums}`,
    ...(options.keepCase ? ['--keepCase'] : []),
    ...(options.defaults ? ['--defaults'] : []),
    ...(options.oneofs ? ['--oneofs'] : []),
    '--includeComments',
    ...listProtos(protoRoot).sort(),
  ];
  const bin = join(pkg, 'node_modules', '.bin', 'proto-loader-gen-types');
  const r = spawnSync(bin, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd: protoRoot });
  if (r.status !== 0) {
    console.error('gen-types: proto-loader-gen-types failed');
    process.exit(1);
  }
  // The generator writes the absolute proto path into each file; make it checkout-independent.
  for (const f of listFiles(out)) {
    const file = join(out, f);
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll(`${protoRoot}/`, 'protos/'));
  }
  if (check) {
    const want = listFiles(out).sort();
    const have = listFiles(target).sort();
    const stale = [];
    for (const f of new Set([...want, ...have])) {
      const a = want.includes(f) ? readFileSync(join(out, f), 'utf8') : null;
      const b = have.includes(f) ? readFileSync(join(target, f), 'utf8') : null;
      if (a !== b) stale.push(f);
    }
    if (stale.length > 0) {
      console.error(`gen-types: generated types are stale (${stale.length} files differ):`);
      for (const f of stale.slice(0, 20)) console.error(`  src/generated/${f}`);
      console.error('run `pnpm gen:protos` and commit the result');
      process.exit(1);
    }
    console.log(`gen-types: ${want.length} generated files are up to date`);
  } else {
    rmSync(target, { recursive: true, force: true });
    cpSync(out, target, { recursive: true });
    console.log(`gen-types: wrote ${listFiles(target).length} files to src/generated`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
