import assert from 'node:assert/strict';
import { readFile, mkdir, mkdtemp, rm, symlink, writeFile, stat } from 'node:fs/promises';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sampleCorpusDir } from './documents.js';
import { isLoopbackHost, startCorpusServer, type CorpusServer, type MinimalLogger } from './server.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request with the path sent exactly as given (fetch would normalize `..` away). */
function request(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; agent?: Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Bytes straight onto a socket, for request targets an HTTP client refuses to send. */
function rawRequest(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 'latin1');
  });
}

interface LogRecord {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

function memoryLogger(): MinimalLogger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const log =
    (level: LogRecord['level']) =>
    (obj: object, msg?: string): void => {
      records.push({ level, obj: { ...obj }, msg });
    };
  return { records, info: log('info'), warn: log('warn'), error: log('error') };
}

const SECRET = 'TOP-SECRET-OUTSIDE-THE-CORPUS';

describe('corpus server on the sample corpus', { timeout: 30_000 }, () => {
  let server: CorpusServer;
  const dir = sampleCorpusDir();
  const logger = memoryLogger();
  let packageJson: string;

  before(async () => {
    server = await startCorpusServer({ dir, port: 0, logger });
    packageJson = await readFile(join(dir, '..', 'package.json'), 'utf8');
  });
  after(() => server.close());

  it('listens on loopback and answers /healthz', { timeout: 5_000 }, async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(server.url, `http://127.0.0.1:${server.port}`);
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok\n');
  });

  it('serves a page with the right headers and exact bytes', { timeout: 5_000 }, async () => {
    const path = 'energy/solar-capacity-2023.html';
    const file = await readFile(join(dir, path));
    const info = await stat(join(dir, path));
    const res = await request(server.port, `/${path}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['content-length'], String(file.length));
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['last-modified'], new Date(info.mtimeMs).toUTCString());
    assert.match(res.headers.etag ?? '', /^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    assert.equal(res.body, file.toString('utf8'));
  });

  it('serves Markdown and text with their types, ignoring a query string', { timeout: 5_000 }, async () => {
    const md = await request(server.port, '/energy/electric-vehicle-sales.md?utm=1');
    assert.equal(md.status, 200);
    assert.equal(md.headers['content-type'], 'text/markdown; charset=utf-8');
    const txt = await fetch(`${server.url}/economy/small-business-survey.txt`);
    assert.equal(txt.status, 200);
    assert.equal(txt.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.match(await txt.text(), /Quarterly Small Business Survey/);
  });

  it('answers HEAD with headers only', { timeout: 5_000 }, async () => {
    const get = await request(server.port, '/health/hospital-beds-capacity.md');
    const head = await request(server.port, '/health/hospital-beds-capacity.md', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(head.headers['content-length'], get.headers['content-length']);
    assert.equal(head.headers['content-type'], 'text/markdown; charset=utf-8');
    assert.equal(head.headers.etag, get.headers.etag);
  });

  it('answers conditional requests with 304', { timeout: 5_000 }, async () => {
    const first = await request(server.port, '/climate/arctic-sea-ice.txt');
    const byTag = await request(server.port, '/climate/arctic-sea-ice.txt', { headers: { 'if-none-match': first.headers.etag ?? '' } });
    assert.equal(byTag.status, 304);
    assert.equal(byTag.body, '');
    const byDate = await request(server.port, '/climate/arctic-sea-ice.txt', {
      headers: { 'if-modified-since': first.headers['last-modified'] ?? '' },
    });
    assert.equal(byDate.status, 304);
    const stale = await request(server.port, '/climate/arctic-sea-ice.txt', { headers: { 'if-none-match': 'W/"0-0"' } });
    assert.equal(stale.status, 200);
  });

  it('answers 404 for a missing page and unlisted files', { timeout: 5_000 }, async () => {
    for (const path of ['/energy/no-such-page.html', '/index.json', '/energy', '/energy/', '/nope.txt']) {
      const res = await request(server.port, path);
      assert.equal(res.status, 404, path);
      assert.equal(res.body, 'not found\n', path);
    }
  });

  it('refuses traversal to package.json with 404 and nothing from outside', { timeout: 10_000 }, async () => {
    const attempts = [
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E/package.json',
      '/energy/..%2f..%2fpackage.json',
      '/energy/%2e%2e/%2e%2e/package.json',
      '/energy/..\\..\\package.json',
      '/..%5cpackage.json',
      '/%00/../package.json',
      '/package.json%00.html',
      `/${encodeURIComponent(join(dir, '..', 'package.json'))}`,
      `/${join(dir, '..', 'package.json')}`,
    ];
    for (const path of attempts) {
      const res = await request(server.port, path);
      assert.equal(res.status, 404, path);
      assert.ok(!res.body.includes('@stats-agent/corpus') && !res.body.includes(dir), path);
    }
    assert.ok(packageJson.includes('@stats-agent/corpus'), 'the target exists, so the refusals are not vacuous');
    const raw = await rawRequest(server.port, '/../package.json');
    assert.match(raw, /^HTTP\/1\.1 404 /);
    const nul = await rawRequest(server.port, '/\0../package.json');
    assert.match(nul, /^HTTP\/1\.1 40[04] /);
    assert.ok(!nul.includes('@stats-agent/corpus'));
  });

  it('answers 405 with Allow for other methods', { timeout: 5_000 }, async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const res = await request(server.port, '/energy/solar-capacity-2023.html', { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.allow, 'GET, HEAD', method);
    }
  });

  it('answers 400 for a malformed percent-encoding', { timeout: 5_000 }, async () => {
    const res = await request(server.port, '/energy/%E0%A4%A.html');
    assert.equal(res.status, 400);
  });

  it('lists every document on the index page', { timeout: 5_000 }, async () => {
    const manifest = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { path: string; title: string }[];
    const res = await fetch(`${server.url}/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    const html = await res.text();
    assert.match(html, new RegExp(`<p>${manifest.length} documents\\.</p>`));
    for (const entry of manifest) assert.ok(html.includes(`<a href="/${entry.path}">`), entry.path);
    const link = /<a href="([^"]+)">/.exec(html)?.[1] ?? '';
    assert.equal((await fetch(new URL(link, server.url))).status, 200);
  });

  it('logs requests and refusals without the filesystem path', { timeout: 5_000 }, async () => {
    await request(server.port, '/%2e%2e/package.json');
    const refusal = logger.records.find((r) => r.level === 'warn' && r.obj['reason'] === 'traversal');
    assert.ok(refusal, 'the refusal is logged with its reason');
    const served = logger.records.find((r) => r.msg === 'corpus request' && r.obj['status'] === 200);
    assert.ok(served && typeof served.obj['durationMs'] === 'number');
  });
});

describe('corpus server path safety', { timeout: 30_000 }, () => {
  let base: string;
  let server: CorpusServer;

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'corpus-server-'));
    const root = join(base, 'root');
    await mkdir(join(root, 'docs'), { recursive: true });
    await mkdir(join(root, '.hidden'), { recursive: true });
    await mkdir(join(base, 'outside-dir'), { recursive: true });
    await writeFile(join(base, 'outside.html'), `<title>${SECRET}</title>`);
    await writeFile(join(base, 'outside-dir', 'page.html'), SECRET);
    await writeFile(join(root, 'docs', 'page.html'), '<title>Inside</title>');
    await writeFile(join(root, 'a file.html'), 'spaced');
    await writeFile(join(root, '.secret.html'), SECRET);
    await writeFile(join(root, '.hidden', 'x.html'), SECRET);
    await writeFile(join(root, 'data.json'), SECRET);
    await writeFile(join(root, 'empty.txt'), '');
    await symlink(join(base, 'outside.html'), join(root, 'leak.html'));
    await symlink(join(base, 'outside-dir'), join(root, 'leak-dir'));
    await symlink(join(root, '.secret.html'), join(root, 'points-to-dotfile.html'));
    await symlink(join(root, 'docs', 'page.html'), join(root, 'alias.html'));
    server = await startCorpusServer({ dir: root, port: 0 });
  });
  after(async () => {
    await server.close();
    await rm(base, { recursive: true, force: true });
  });

  it('serves encoded names, inside symlinks and empty files', { timeout: 5_000 }, async () => {
    const spaced = await request(server.port, '/a%20file.html');
    assert.equal(spaced.status, 200);
    assert.equal(spaced.body, 'spaced');
    const alias = await request(server.port, '/alias.html');
    assert.equal(alias.status, 200);
    assert.equal(alias.body, '<title>Inside</title>');
    const empty = await request(server.port, '/empty.txt');
    assert.equal(empty.status, 200);
    assert.equal(empty.headers['content-length'], '0');
  });

  it('never serves anything outside the folder, hidden or unlisted', { timeout: 10_000 }, async () => {
    const attempts = [
      '/../outside.html',
      '/%2e%2e/outside.html',
      '/%2E%2e/outside.html',
      '/docs/..%2f..%2foutside.html',
      '/docs/%2e%2e/%2e%2e/outside.html',
      '/docs/%2e%2e%2f%2e%2e%2foutside.html',
      '/..%5coutside.html',
      '/docs\\..\\..\\outside.html',
      '/%00../outside.html',
      '/outside.html%00',
      `/${encodeURIComponent(join(base, 'outside.html'))}`,
      `/${join(base, 'outside.html')}`,
      '/leak.html',
      '/leak-dir/page.html',
      '/points-to-dotfile.html',
      '/.secret.html',
      '/%2esecret.html',
      '/.hidden/x.html',
      '/data.json',
      '/%252e%252e/outside.html',
    ];
    for (const path of attempts) {
      const res = await request(server.port, path);
      assert.equal(res.status, 404, path);
      assert.ok(!res.body.includes(SECRET), `${path} leaked outside content`);
      assert.ok(!res.body.includes(base), `${path} leaked the filesystem path`);
    }
    for (const target of ['/../outside.html', '/docs/../../outside.html', '/\0/../outside.html']) {
      const raw = await rawRequest(server.port, target);
      assert.match(raw, /^HTTP\/1\.1 40[04] /, JSON.stringify(target));
      assert.ok(!raw.includes(SECRET));
    }
  });
});

describe('corpus server lifecycle', { timeout: 30_000 }, () => {
  it('close() ends keep-alive connections and frees the port', { timeout: 10_000 }, async () => {
    const server = await startCorpusServer({ dir: sampleCorpusDir(), port: 0 });
    const agent = new Agent({ keepAlive: true });
    try {
      const res = await request(server.port, '/healthz', { agent });
      assert.equal(res.status, 200);
      assert.equal(res.headers.connection, 'keep-alive');
      await server.close();
      await server.close(); // idempotent
    } finally {
      agent.destroy();
    }
    const probe = createNetServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(server.port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  it('refuses a non-loopback host unless allowed, and a missing folder', { timeout: 5_000 }, async (t) => {
    for (const host of ['0.0.0.0', '::', '192.0.2.10', 'example.com']) {
      await assert.rejects(startCorpusServer({ dir: sampleCorpusDir(), host, port: 0 }), {
        name: 'CorpusError',
        code: 'CORPUS_ERR_PUBLIC_HOST',
      });
    }
    const base = await mkdtemp(join(tmpdir(), 'corpus-missing-'));
    t.after(() => rm(base, { recursive: true, force: true }));
    await writeFile(join(base, 'file.txt'), 'x');
    for (const dir of [join(base, 'missing'), join(base, 'file.txt')]) {
      await assert.rejects(startCorpusServer({ dir, port: 0 }), { code: 'CORPUS_ERR_NOT_A_DIRECTORY' });
    }
  });

  it('knows which hosts are loopback', { timeout: 1_000 }, () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
      assert.equal(isLoopbackHost(host), true, host);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '::ffff:10.0.0.1', 'localhost.example', '127.0.0.1.nip.io', 'fe80::1%eth0', '']) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });
});
