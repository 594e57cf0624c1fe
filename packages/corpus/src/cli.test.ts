import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sampleCorpusDir } from './documents.js';

const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));

function run(args: string[], env: Record<string, string> = {}): ChildProcess {
  const { CORPUS_DIR: _dir, CORPUS_PORT: _port, ...rest } = process.env;
  return spawn(process.execPath, [CLI, ...args], { env: { ...rest, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function collect(stream: NodeJS.ReadableStream | null): Promise<string> {
  let text = '';
  for await (const chunk of stream ?? []) text += String(chunk);
  return text;
}

describe('stats-agent-corpus', { timeout: 30_000 }, () => {
  it('prints one JSON line with the URL, serves, and exits 0 on SIGTERM', { timeout: 15_000 }, async (t) => {
    const child = run(['--port', '0'], { CORPUS_DIR: sampleCorpusDir() });
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const stderr = collect(child.stderr);
    const lines = createInterface({ input: child.stdout! });
    const [first] = (await once(lines, 'line')) as [string];
    const ready = JSON.parse(first) as { url: string; port: number; dir: string };
    assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(ready.dir, sampleCorpusDir());

    const health = await fetch(`${ready.url}/healthz`);
    assert.equal(await health.text(), 'ok\n');
    const page = await fetch(`${ready.url}/energy/solar-capacity-2023.html`);
    assert.equal(page.status, 200);
    await page.arrayBuffer();

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
    // Request logs are JSON lines on stderr, never on stdout.
    const logs = (await stderr)
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { msg?: string; status?: number });
    assert.ok(logs.some((l) => l.msg === 'corpus request' && l.status === 200));
    assert.ok(logs.some((l) => l.msg === 'corpus server stopping'));
  });

  it('exits 2 without binding for a public host or a bad port', { timeout: 10_000 }, async () => {
    for (const args of [['--host', '0.0.0.0'], ['--port', 'eighty']]) {
      const child = run(args);
      const [stdout, stderr, [code]] = await Promise.all([collect(child.stdout), collect(child.stderr), once(child, 'exit')]);
      assert.equal(code, 2, args.join(' '));
      assert.equal(stdout, '');
      assert.match(stderr, /^corpus: invalid configuration/);
      assert.match(stderr, /Usage: stats-agent-corpus/);
    }
  });

  it('exits 1 when the folder does not exist', { timeout: 10_000 }, async () => {
    const child = run(['--port', '0', '--dir', '/nonexistent/corpus-folder']);
    const [stdout, stderr, [code]] = await Promise.all([collect(child.stdout), collect(child.stderr), once(child, 'exit')]);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, /CORPUS_ERR_NOT_A_DIRECTORY/);
  });
});
