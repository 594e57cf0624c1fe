import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { TrustDomain } from '../id.js';
import { createX509Bundle, validateX509Svid } from '../svid.js';
import { tempDir } from '../testkit.js';
import { createX509Source } from '../x509-source.js';

const T = { timeout: 30_000 };
const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));
const ID = 'spiffe://stats-agent.local/ns/agents/sa/research';

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function pemCertificates(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

test('mint writes svid.pem, svid.key (0600) and bundle.pem, and they validate', T, async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const out = join(dir, 'out');
    const r = run(['mint', '--spiffe-id', ID, '--out', out, '--ttl', '600']);
    assert.equal(r.status, 0, r.stderr);
    const line = JSON.parse(r.stdout.trim()) as { event: string; spiffeId: string; files: Record<string, string> };
    assert.equal(line.event, 'minted');
    assert.equal(line.spiffeId, ID);
    assert.ok(!r.stdout.includes('PRIVATE KEY'));

    assert.equal(mode(join(out, 'svid.key')), 0o600);
    const chain = pemCertificates(readFileSync(join(out, 'svid.pem'), 'utf8'));
    const authorities = pemCertificates(readFileSync(join(out, 'bundle.pem'), 'utf8'));
    const id = validateX509Svid(chain, createX509Bundle(TrustDomain.parse('stats-agent.local'), authorities));
    assert.equal(id.toString(), ID);
    assert.ok(chain[0]?.checkPrivateKey(createPrivateKey(readFileSync(join(out, 'svid.key')))));
    const ttl = (new Date(chain[0]?.validTo ?? 0).getTime() - Date.now()) / 1000;
    assert.ok(ttl > 500 && ttl <= 600, `ttl ${ttl}`);
  } finally {
    await cleanup();
  }
});

test('mint --ca-dir creates the CA once and reuses it', T, async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const caDir = join(dir, 'ca');
    assert.equal(run(['mint', '--spiffe-id', ID, '--out', join(dir, 'a'), '--ca-dir', caDir]).status, 0);
    assert.equal(mode(join(caDir, 'ca.key')), 0o600);
    assert.equal(mode(caDir), 0o700);
    const second = run(['mint', '--spiffe-id', 'spiffe://stats-agent.local/ns/agents/sa/synthesis', '--out', join(dir, 'b'), '--ca-dir', caDir]);
    assert.equal(second.status, 0, second.stderr);
    const caPem = readFileSync(join(caDir, 'ca.pem'), 'utf8');
    assert.equal(readFileSync(join(dir, 'a', 'bundle.pem'), 'utf8'), caPem);
    assert.equal(readFileSync(join(dir, 'b', 'bundle.pem'), 'utf8'), caPem);
    // The stored CA belongs to one trust domain.
    const other = run(['mint', '--spiffe-id', 'spiffe://other.example/x', '--out', join(dir, 'c'), '--ca-dir', caDir]);
    assert.equal(other.status, 1);
    assert.match(other.stderr, /is for trust domain stats-agent\.local/);
  } finally {
    await cleanup();
  }
});

test('bad arguments print the usage and exit 2', T, () => {
  for (const args of [
    [],
    ['frobnicate'],
    ['mint', '--out', '/tmp/x'],
    ['mint', '--spiffe-id', 'spiffe://Bad/', '--out', '/tmp/x'],
    ['mint', '--spiffe-id', ID, '--out', '/tmp/x', '--ttl', '-5'],
    ['mint', '--spiffe-id', ID, '--out', '/tmp/x', '--bogus'],
    ['serve', '--socket-dir', '/tmp/x'],
    ['serve', '--socket-dir', '/tmp/x', '--workload', 'research'],
  ]) {
    const r = run(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout + r.stderr, /usage:/);
  }
});

test('serve shares the --ca-dir CA, prints JSON events and exits 0 on SIGTERM', T, async () => {
  const { dir, cleanup } = await tempDir();
  const child = spawn(process.execPath, [
    CLI, 'serve', '--socket-dir', join(dir, 'sockets'), '--workload', `research=${ID}`, '--ca-dir', join(dir, 'ca'), '--rotate-after', '1',
  ]);
  try {
    const lines: Array<Record<string, unknown>> = [];
    const rl = createInterface({ input: child.stdout });
    const started = new Promise<Record<string, unknown>>((resolve, reject) => {
      rl.on('line', (l) => {
        const line = JSON.parse(l) as Record<string, unknown>;
        lines.push(line);
        if (line['event'] === 'started') resolve(line);
      });
      child.once('exit', (code) => reject(new Error(`serve exited early with ${code}`)));
    });
    const workloads = (await started)['workloads'] as Record<string, { endpoint: string; socketPath: string }>;
    const endpoint = workloads['research']?.endpoint ?? '';
    assert.equal(endpoint, `unix://${join(dir, 'sockets', 'research.sock')}`);

    // An SVID minted later with the same --ca-dir validates against what serve hands out.
    assert.equal(run(['mint', '--spiffe-id', ID, '--out', join(dir, 'minted'), '--ca-dir', join(dir, 'ca')]).status, 0);
    const source = await createX509Source({ socketPath: endpoint, initialTimeoutMs: 5000 });
    try {
      const served = source.getX509Svid();
      assert.equal(served.id.toString(), ID);
      const minted = pemCertificates(readFileSync(join(dir, 'minted', 'svid.pem'), 'utf8'));
      const bundle = source.getX509BundleForTrustDomain(served.id.trustDomain);
      assert.ok(bundle);
      assert.equal(validateX509Svid(minted, bundle).toString(), ID);
      await new Promise<void>((resolve) => source.onUpdate(() => resolve()));
    } finally {
      await source.close();
    }
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(lines.some((l) => l['event'] === 'rotated'), 'rotation was printed');
    assert.ok(!JSON.stringify(lines).includes('PRIVATE KEY'), 'no key printed');
    assert.ok(!existsSync(join(dir, 'sockets', 'research.sock')), 'socket removed');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await cleanup();
  }
});
