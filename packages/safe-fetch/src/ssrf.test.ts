// The SSRF battery. Every "blocked" case asserts the fetcher's own policy error (never a
// connection error or a timeout, which would pass vacuously), that the dial hook was never
// reached, and that a loopback sentinel saw no connection. Nothing here sends a packet anywhere
// but 127.0.0.1: names go through a stub resolver, and every fetcher dials through a recorder
// that sends "public" addresses to the sentinel instead of to the real address.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildConnector } from 'undici';
import { FetchError, PageFetcher } from './index.js';
import type { AddressCategory, Connector, FetchErrorCode, FetchPolicy, Resolver } from './index.js';

const T = { timeout: 10_000 };
const PUBLIC = '93.184.216.34';
const PUBLIC6 = '2606:2800:220:1:248:1893:25c8:1946';

interface Sentinel {
  port: number;
  base: string;
  connections: () => number;
  /** `host header path` of each request seen. */
  requests: string[];
  close: () => Promise<void>;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A loopback HTTP server that counts connections and answers every path (Connection: close). */
async function startSentinel(routes: Record<string, (host: string) => [number, Record<string, string>, string]> = {}): Promise<Sentinel> {
  let connections = 0;
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const host = req.headers.host ?? '';
    requests.push(`${host} ${req.url ?? ''}`);
    const route = routes[req.url ?? ''];
    const [status, headers, body] = route?.(host) ?? [200, { 'content-type': 'text/plain' }, `sentinel ${req.url ?? ''}`];
    res.writeHead(status, { ...headers, connection: 'close' }).end(body);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, base: `http://127.0.0.1:${port}`, connections: () => connections, requests, close: () => closeServer(server) };
}

interface Dialled {
  hostname: string;
  port: string;
  servername: string | undefined;
}

/**
 * A dial hook that records what the policy let through and connects to `127.0.0.1:<to>` instead
 * (or to the address itself for the loopback `passthrough` pairs). It never dials anything else.
 */
function recorder(to: () => number, passthrough: string[] = []) {
  const calls: Dialled[] = [];
  const real = buildConnector({ timeout: 2_000 });
  const dial: Connector = (opts, callback) => {
    calls.push({ hostname: opts.hostname, port: opts.port, servername: opts.servername ?? undefined });
    const target = passthrough.includes(`${opts.hostname}:${opts.port}`) ? opts : { ...opts, hostname: '127.0.0.1', port: String(to()) };
    if (target.hostname !== '127.0.0.1') {
      callback(new Error('test recorder: refusing to dial a non-loopback address'), null);
      return;
    }
    real(target, callback);
  };
  return { calls, dial };
}

/** A resolver answering from a table; a function entry is called per lookup (rebinding). */
function stubResolver(table: Record<string, string[] | ((call: number) => string[])>) {
  const calls: string[] = [];
  const resolve: Resolver = async (hostname) => {
    calls.push(hostname);
    const entry = table[hostname];
    if (entry === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const answer = typeof entry === 'function' ? entry(calls.filter((h) => h === hostname).length) : entry;
    return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { calls, resolve };
}

const NAMES = {
  'public.test': [PUBLIC],
  'public6.test': [PUBLIC6],
  'evil.com': [PUBLIC],
  'internal.test': ['10.1.2.3'],
  'other-internal.test': ['10.1.2.3'],
  'metadata.google.internal': ['169.254.169.254'],
  'mixed.test': [PUBLIC, '127.0.0.1'],
  'mixed6.test': [PUBLIC6, '::1'],
  'v6loop.test': ['::1'],
  'mapped.test': ['::ffff:127.0.0.1'],
  'nat64.test': ['64:ff9b::7f00:1'],
  'nat64-public.test': ['64:ff9b::5db8:d822'],
  'cgn.test': ['100.64.0.1'],
  'empty.test': [],
  'garbage.test': ['0x7f.1'],
} satisfies Record<string, string[]>;

async function failure(p: Promise<unknown>): Promise<FetchError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof FetchError, `expected a FetchError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the fetch to be refused');
}

describe('SSRF policy', { timeout: 60_000 }, () => {
  let sentinel: Sentinel;
  before(async () => {
    sentinel = await startSentinel();
  });
  after(() => sentinel.close());

  /** A fetcher with the recorder and the stub resolver; closes it after `body`. */
  async function withFetcher(
    policy: Partial<FetchPolicy>,
    body: (f: PageFetcher, rec: ReturnType<typeof recorder>, dns: ReturnType<typeof stubResolver>, refusals: string[]) => Promise<void>,
    opts: { names?: Record<string, string[] | ((call: number) => string[])>; passthrough?: string[]; to?: () => number } = {},
  ): Promise<void> {
    const rec = recorder(opts.to ?? (() => sentinel.port), opts.passthrough);
    const dns = stubResolver(opts.names ?? NAMES);
    const refusals: string[] = [];
    const f = new PageFetcher(policy, { dial: rec.dial, resolve: dns.resolve, onRefusal: (reason) => refusals.push(reason) });
    try {
      await body(f, rec, dns, refusals);
    } finally {
      await f.close();
    }
  }

  /** Fetches `url`, expects the policy refusal, no dial and no new sentinel connection. */
  async function expectBlocked(f: PageFetcher, rec: ReturnType<typeof recorder>, url: string, code: FetchErrorCode, category?: AddressCategory): Promise<FetchError> {
    const seen = sentinel.connections();
    const dialled = rec.calls.length;
    const err = await failure(f.fetch(url));
    assert.equal(err.code, code, `${url}: ${err.message}`);
    if (category !== undefined) assert.equal(err.category, category, `${url}: ${err.message}`);
    assert.equal(rec.calls.length, dialled, `${url} reached the dial hook`);
    assert.equal(sentinel.connections(), seen, `${url} reached the sentinel`);
    return err;
  }

  // Addresses as URL hosts. The sentinel's port is in allowedPorts, so only the address can be
  // the reason; were the check missing, the recorder would send the request to the sentinel.
  const P = () => sentinel.port;
  const LITERALS: Array<[string, AddressCategory]> = [
    ['127.0.0.1', 'loopback'],
    ['2130706433', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['0x7f.1', 'loopback'],
    ['0x7f000001', 'loopback'],
    ['127.1', 'loopback'],
    ['127.0.0.1.', 'loopback'],
    ['%31%32%37.0.0.1', 'loopback'],
    ['\uff11\uff12\uff17.\uff10.\uff10.\uff11', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0', 'unspecified'],
    ['[::]', 'unspecified'],
    ['[::1]', 'loopback'],
    ['[0:0:0:0:0:0:0:1]', 'loopback'],
    ['[::ffff:127.0.0.1]', 'loopback'],
    ['[::ffff:7f00:1]', 'loopback'],
    ['[0:0:0:0:0:ffff:a9fe:a9fe]', 'metadata'],
    ['[::ffff:0.0.0.0]', 'unspecified'],
    ['[::ffff:10.0.0.1]', 'private'],
    ['[::7f00:1]', 'ipv4_embedded'],
    ['[::127.0.0.1]', 'ipv4_embedded'],
    ['[::ffff:0:7f00:1]', 'ipv4_embedded'],
    ['[64:ff9b::7f00:1]', 'loopback'],
    ['[64:ff9b::127.0.0.1]', 'loopback'],
    ['[64:ff9b::a9fe:a9fe]', 'metadata'],
    ['[64:ff9b::a00:1]', 'private'],
    ['[64:ff9b:1::5db8:d822]', 'ipv4_embedded'],
    ['[2002:7f00:1::]', 'ipv4_embedded'],
    ['[2002:5db8:d822::1]', 'ipv4_embedded'],
    ['[2001::1]', 'ipv4_embedded'],
    ['[2001:0:4136:e378:8000:63bf:3fff:fdd2]', 'ipv4_embedded'],
    ['[fe80::1]', 'link_local'],
    ['[febf::1]', 'link_local'],
    ['[fec0::1]', 'site_local'],
    ['[fc00::1]', 'unique_local'],
    ['[fd12:3456::1]', 'unique_local'],
    ['[fd00:ec2::254]', 'metadata'],
    ['[ff02::1]', 'multicast'],
    ['[2001:db8::1]', 'documentation'],
    ['[3fff::1]', 'documentation'],
    ['[100::1]', 'reserved'],
    ['[1::1]', 'reserved'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['169.254.1.1', 'link_local'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.1', 'documentation'],
    ['203.0.113.1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.1', 'benchmarking'],
    ['192.0.0.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
  ];

  test('refuses every non-public address, in every spelling, before connecting', T, () =>
    withFetcher({ allowedPorts: [80, 443, P()] }, async (f, rec, dns, refusals) => {
      for (const [host, category] of LITERALS) {
        for (const scheme of ['http', 'https']) {
          await expectBlocked(f, rec, `${scheme}://${host}:${P()}/latest/meta-data/`, 'FETCH_ERR_ADDRESS', category);
        }
      }
      assert.deepEqual(dns.calls, [], 'IP literals are never resolved');
      assert.equal(refusals.length, LITERALS.length * 2);
      assert.equal(refusals[0], 'loopback');
    }));

  test('the same addresses are refused by the connector when a name resolves to them', T, async () => {
    // What a resolver can answer: canonical addresses only (no 0177.0.0.1 or 127.1).
    const hosts = LITERALS.map(([h]) => h).filter((h) => isIP(h.replace(/^\[|\]$/g, '')) !== 0);
    const names: Record<string, string[]> = {};
    for (const [i, h] of hosts.entries()) names[`n${i}.test`] = [h.replace(/^\[|\]$/g, '')];
    await withFetcher(
      { allowedPorts: [80, 443, P()] },
      async (f, rec, dns) => {
        for (const [i, h] of hosts.entries()) {
          const category = LITERALS.find(([l]) => l === h)?.[1];
          const err = await expectBlocked(f, rec, `http://n${i}.test:${P()}/`, 'FETCH_ERR_ADDRESS', category);
          assert.equal(err.url, `http://n${i}.test:${P()}/`, 'the error names the URL asked for');
        }
        assert.equal(dns.calls.length, hosts.length, 'one resolution per refused connection');
      },
      { names },
    );
  });

  test('an IPv6 zone id is not a valid URL host', T, () =>
    withFetcher({}, async (f, rec) => {
      await expectBlocked(f, rec, `http://[fe80::1%25eth0]:${P()}/`, 'FETCH_ERR_INVALID_URL');
      await expectBlocked(f, rec, `http://[fe80::1%eth0]:${P()}/`, 'FETCH_ERR_INVALID_URL');
    }));

  test('localhost names are refused up front, without resolving them', T, () =>
    withFetcher({ allowedPorts: [80, 443, P()] }, async (f, rec, dns) => {
      for (const host of ['localhost', 'localhost.', 'LOCALHOST', 'api.localhost', 'a.b.localhost.']) {
        await expectBlocked(f, rec, `http://${host}:${P()}/`, 'FETCH_ERR_ADDRESS', 'loopback');
      }
      assert.deepEqual(dns.calls, []);
    }));

  test('names resolving to refused addresses: private, metadata, CGN, IPv6 loopback, mapped, NAT64', T, () =>
    withFetcher({}, async (f, rec, dns) => {
      await expectBlocked(f, rec, 'http://internal.test/', 'FETCH_ERR_ADDRESS', 'private');
      await expectBlocked(f, rec, 'http://metadata.google.internal/computeMetadata/v1/', 'FETCH_ERR_ADDRESS', 'metadata');
      await expectBlocked(f, rec, 'http://cgn.test/', 'FETCH_ERR_ADDRESS', 'shared');
      await expectBlocked(f, rec, 'https://v6loop.test/', 'FETCH_ERR_ADDRESS', 'loopback');
      await expectBlocked(f, rec, 'http://mapped.test/', 'FETCH_ERR_ADDRESS', 'loopback');
      await expectBlocked(f, rec, 'http://nat64.test/', 'FETCH_ERR_ADDRESS', 'loopback');
      assert.deepEqual(dns.calls, ['internal.test', 'metadata.google.internal', 'cgn.test', 'v6loop.test', 'mapped.test', 'nat64.test']);
    }));

  test('one refused address in a DNS answer refuses the whole connection', T, () =>
    withFetcher({}, async (f, rec) => {
      const err = await expectBlocked(f, rec, 'http://mixed.test/', 'FETCH_ERR_ADDRESS', 'loopback');
      assert.equal(err.address, '127.0.0.1');
      await expectBlocked(f, rec, 'http://mixed6.test/', 'FETCH_ERR_ADDRESS', 'loopback');
    }));

  test('a name that does not resolve, or resolves to nothing usable, fails without a dial', T, () =>
    withFetcher({}, async (f, rec) => {
      const missing = await expectBlocked(f, rec, 'http://nowhere.test/', 'FETCH_ERR_NETWORK');
      assert.match(missing.message, /ENOTFOUND/);
      await expectBlocked(f, rec, 'http://empty.test/', 'FETCH_ERR_NETWORK');
      await expectBlocked(f, rec, 'http://garbage.test/', 'FETCH_ERR_ADDRESS', 'invalid');
    }));

  test('a public name is dialled at the checked address, with the Host header kept', T, () =>
    withFetcher({}, async (f, rec, dns) => {
      const seen = sentinel.connections();
      const page = await f.fetch('http://public.test/report?x=1');
      assert.equal(page.text, 'sentinel /report?x=1');
      assert.deepEqual(rec.calls, [{ hostname: PUBLIC, port: '80', servername: undefined }]);
      assert.deepEqual(dns.calls, ['public.test']);
      assert.equal(sentinel.connections(), seen + 1);
      assert.equal(sentinel.requests.at(-1), 'public.test /report?x=1');
      await f.fetch('http://public6.test:443/');
      assert.deepEqual(rec.calls[1], { hostname: PUBLIC6, port: '443', servername: undefined });
      await f.fetch('http://nat64-public.test/');
      assert.deepEqual(rec.calls[2], { hostname: '64:ff9b::5db8:d822', port: '80', servername: undefined }, 'well-known NAT64 of a public IPv4 is public');
    }));

  test('DNS rebinding: a public answer, then 127.0.0.1, for the same host', T, async () => {
    const names = { 'rebind.test': (call: number) => (call === 1 ? [PUBLIC] : ['127.0.0.1']) };
    await withFetcher(
      { allowedPorts: [80, 443, P()] },
      async (f, rec, dns) => {
        const seen = sentinel.connections();
        assert.equal((await f.fetch(`http://rebind.test:${P()}/first`)).text, 'sentinel /first');
        assert.deepEqual(rec.calls.map((c) => c.hostname), [PUBLIC], 'the first connection dials the checked public address');
        // The sentinel closes every connection, so the second fetch opens (and resolves) again.
        const err = await expectBlocked(f, rec, `http://rebind.test:${P()}/second`, 'FETCH_ERR_ADDRESS', 'loopback');
        assert.equal(err.url, `http://rebind.test:${P()}/second`);
        assert.deepEqual(dns.calls, ['rebind.test', 'rebind.test'], 'resolved once per connection, never twice for one');
        assert.equal(sentinel.connections(), seen + 1);
      },
      { names, passthrough: [`127.0.0.1:${P()}`] },
    );
  });

  test('the default dial connects to the checked address and never resolves again', T, async () => {
    // A name allowed by STATS_FETCH_ALLOW whose DNS answer would change: resolved once, by the connector.
    let calls = 0;
    const resolve: Resolver = async () => (++calls === 1 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.9.9.9', family: 4 }]);
    const f = new PageFetcher({ allow: [`app.test:${P()}`] }, { resolve });
    try {
      const seen = sentinel.connections();
      assert.equal((await f.fetch(`http://app.test:${P()}/default-dial`)).text, 'sentinel /default-dial');
      assert.equal(calls, 1);
      assert.equal(sentinel.connections(), seen + 1);
      assert.equal(sentinel.requests.at(-1), `app.test:${P()} /default-dial`);
    } finally {
      await f.close();
    }
  });

  test('redirects from an allowed loopback server to refused targets are refused at that hop', T, async () => {
    const origin = await startSentinel({
      '/to-sentinel': () => [302, { location: `http://127.0.0.1:${sentinel.port}/` }, ''],
      '/to-mapped': () => [302, { location: `http://[::ffff:7f00:1]:${sentinel.port}/` }, ''],
      '/to-decimal': () => [301, { location: `http://2130706433:${sentinel.port}/` }, ''],
      '/to-metadata': () => [307, { location: 'http://169.254.169.254/latest/meta-data/iam/' }, ''],
      '/to-localhost': () => [308, { location: `http://localhost:${sentinel.port}/` }, ''],
      '/to-internal': () => [302, { location: 'http://internal.test/' }, ''],
      '/to-rebind': () => [302, { location: 'http://mixed.test/' }, ''],
      '/to-port': () => [302, { location: 'http://public.test:22/' }, ''],
      '/to-public': () => [302, { location: 'http://public.test/landed' }, ''],
    });
    try {
      await withFetcher(
        { allow: [`127.0.0.1:${origin.port}`], allowedPorts: [80, 443, sentinel.port] },
        async (f, rec, _dns, refusals) => {
          const cases: Array<[string, FetchErrorCode, AddressCategory | undefined, string]> = [
            ['/to-sentinel', 'FETCH_ERR_ADDRESS', 'loopback', `http://127.0.0.1:${sentinel.port}/`],
            ['/to-mapped', 'FETCH_ERR_ADDRESS', 'loopback', `http://[::ffff:7f00:1]:${sentinel.port}/`],
            ['/to-decimal', 'FETCH_ERR_ADDRESS', 'loopback', `http://127.0.0.1:${sentinel.port}/`],
            ['/to-metadata', 'FETCH_ERR_ADDRESS', 'metadata', 'http://169.254.169.254/latest/meta-data/iam/'],
            ['/to-localhost', 'FETCH_ERR_ADDRESS', 'loopback', `http://localhost:${sentinel.port}/`],
            ['/to-internal', 'FETCH_ERR_ADDRESS', 'private', 'http://internal.test/'],
            ['/to-rebind', 'FETCH_ERR_ADDRESS', 'loopback', 'http://mixed.test/'],
            ['/to-port', 'FETCH_ERR_PORT', undefined, 'http://public.test:22/'],
          ];
          for (const [path, code, category, url] of cases) {
            const dialled = rec.calls.filter((c) => c.hostname !== '127.0.0.1').length;
            const seen = sentinel.connections();
            const err = await failure(f.fetch(`${origin.base}${path}`));
            assert.deepEqual([err.code, err.category, err.url], [code, category ?? err.category, url], path);
            assert.equal(rec.calls.filter((c) => c.hostname !== '127.0.0.1').length, dialled, `${path} dialled its target`);
            assert.equal(sentinel.connections(), seen, `${path} reached the sentinel`);
          }
          assert.deepEqual(refusals, ['loopback', 'loopback', 'loopback', 'metadata', 'loopback', 'private', 'loopback', 'port']);
          // And a redirect to a public name is followed (the recorder stands in for it).
          assert.equal((await f.fetch(`${origin.base}/to-public`)).text, 'sentinel /landed');
        },
        { passthrough: [`127.0.0.1:${origin.port}`] },
      );
    } finally {
      await origin.close();
    }
  });

  test('at most 5 redirects by default', T, async () => {
    const routes: Record<string, () => [number, Record<string, string>, string]> = {};
    for (let i = 0; i < 6; i++) routes[`/r${i}`] = () => [302, { location: `/r${i + 1}` }, ''];
    const chain = await startSentinel(routes);
    try {
      await withFetcher(
        { allow: [`127.0.0.1:${chain.port}`] },
        async (f) => {
          assert.equal((await f.fetch(`${chain.base}/r1`)).text, 'sentinel /r6', 'five redirects are followed');
          assert.equal((await failure(f.fetch(`${chain.base}/r0`))).code, 'FETCH_ERR_REDIRECTS');
        },
        { passthrough: [`127.0.0.1:${chain.port}`] },
      );
    } finally {
      await chain.close();
    }
  });

  test('userinfo and backslash tricks', T, () =>
    withFetcher({ allowedPorts: [80, 443, P()] }, async (f, rec) => {
      await expectBlocked(f, rec, `http://evil.com@127.0.0.1:${P()}/`, 'FETCH_ERR_CREDENTIALS');
      await expectBlocked(f, rec, `http://public.test:80@127.0.0.1:${P()}/`, 'FETCH_ERR_CREDENTIALS');
      await expectBlocked(f, rec, `http://127.0.0.1:${P()}\\@public.test/`, 'FETCH_ERR_ADDRESS', 'loopback');
      await expectBlocked(f, rec, `http://127.0.0.1:${P()}#@public.test/`, 'FETCH_ERR_ADDRESS', 'loopback');
      await expectBlocked(f, rec, `http://127.0.0.1:${P()}?@public.test/`, 'FETCH_ERR_ADDRESS', 'loopback');
      // WHATWG reads "\" as "/": the host is evil.com, whatever follows.
      assert.equal((await f.fetch(`http://evil.com\\@127.0.0.1:${P()}/`)).text, 'sentinel /@127.0.0.1:' + String(P()) + '/');
      assert.deepEqual(rec.calls.at(-1), { hostname: PUBLIC, port: '80', servername: undefined });
    }));

  test('ports: 80 and 443 only, unless allowedPorts or an allow-list entry names the port', T, () =>
    withFetcher({ allow: ['public.test:8443', `127.0.0.1:${P()}`] }, async (f, rec, dns) => {
      for (const url of ['http://public.test:22/', 'http://public.test:8080/', 'https://public.test:6379/', 'http://public.test:0/', `http://[2606:4700::1111]:25/`]) {
        await expectBlocked(f, rec, url, 'FETCH_ERR_PORT');
      }
      assert.deepEqual(dns.calls, [], 'refused before resolving');
      await expectBlocked(f, rec, `http://127.0.0.1:${P() === 65_535 ? 65_534 : P() + 1}/`, 'FETCH_ERR_ADDRESS', 'loopback');
      // 8443 is named for public.test only: another public name on it is refused at connect.
      await expectBlocked(f, rec, 'http://evil.com:8443/', 'FETCH_ERR_PORT');
      assert.equal((await f.fetch('http://public.test:8443/p')).text, 'sentinel /p');
      assert.equal((await f.fetch('http://public.test:443/')).text, 'sentinel /');
    }));

  test('STATS_FETCH_ALLOW opens exactly what it names, and never metadata', T, () =>
    withFetcher({ allow: ['internal.test', '10.20.0.0/16', 'v6loop.test:8080', '169.254.0.0/16'] }, async (f, rec) => {
      const page = await f.fetch('http://internal.test/doc');
      assert.equal(page.text, 'sentinel /doc');
      assert.equal(rec.calls.at(-1)?.hostname, '10.1.2.3');
      await expectBlocked(f, rec, 'http://other-internal.test/', 'FETCH_ERR_ADDRESS', 'private');
      await expectBlocked(f, rec, 'http://internal.test:8080/', 'FETCH_ERR_ADDRESS', 'private');
      await expectBlocked(f, rec, 'http://10.21.0.1/', 'FETCH_ERR_ADDRESS', 'private');
      assert.equal((await f.fetch('http://10.20.3.4/')).text, 'sentinel /');
      assert.equal(rec.calls.at(-1)?.hostname, '10.20.3.4');
      assert.equal((await f.fetch('http://v6loop.test:8080/')).text, 'sentinel /');
      await expectBlocked(f, rec, 'http://v6loop.test/', 'FETCH_ERR_ADDRESS', 'loopback');
      await expectBlocked(f, rec, 'http://169.254.169.254/', 'FETCH_ERR_ADDRESS', 'metadata');
      assert.equal((await f.fetch('http://169.254.7.7/')).text, 'sentinel /', 'the CIDR opens the rest of the range');
    }));

  test('a bad STATS_FETCH_ALLOW entry is a clear error at construction', T, () => {
    assert.throws(() => new PageFetcher({ allow: ['127.0.0.1:99999'] }), /entry "127.0.0.1:99999" has a port/);
    assert.throws(() => new PageFetcher({ allow: ['0.0.0.0/0'] }), /would allow every address/);
    assert.throws(() => new PageFetcher({ allow: ['169.254.169.254'] }), /metadata address/);
  });

  test('onRefusal counts refusals only, and a throwing hook changes nothing', T, async () => {
    const reasons: string[] = [];
    const f = new PageFetcher({ allow: [`127.0.0.1:${P()}`] }, {
      onRefusal: (reason) => {
        reasons.push(reason);
        throw new Error('metrics broke');
      },
    });
    try {
      assert.equal((await failure(f.fetch('http://10.0.0.1/'))).code, 'FETCH_ERR_ADDRESS');
      assert.equal((await failure(f.fetch('ftp://example.org/'))).code, 'FETCH_ERR_SCHEME');
      assert.equal((await failure(f.fetch('http://a:b@example.org/'))).code, 'FETCH_ERR_CREDENTIALS');
      assert.equal((await failure(f.fetch('http://example.org:8080/'))).code, 'FETCH_ERR_PORT');
      assert.equal((await f.fetch(`${sentinel.base}/ok`)).text, 'sentinel /ok');
      assert.equal((await failure(f.fetch('not a url'))).code, 'FETCH_ERR_INVALID_URL');
      assert.deepEqual(reasons, ['private', 'scheme', 'credentials', 'port']);
    } finally {
      await f.close();
    }
  });

  test('TLS: the servername is the host name and the certificate is verified', { ...T, skip: !hasOpenssl() && 'openssl not installed' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'safe-fetch-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=public.test', '-addext', 'subjectAltName=DNS:public.test'], { stdio: 'ignore' });
      const sni: string[] = [];
      let served = 0;
      const server = createHttpsServer(
        {
          key: readFileSync(join(dir, 'k.pem')),
          cert: readFileSync(join(dir, 'c.pem')),
          SNICallback: (name, cb) => {
            sni.push(name);
            cb(null, undefined);
          },
        },
        (_req, res) => {
          served++;
          res.writeHead(200, { 'content-type': 'text/plain' }).end('secret');
        },
      );
      server.on('tlsClientError', () => undefined);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      try {
        await withFetcher({}, async (f, rec) => {
          const err = await failure(f.fetch('https://public.test/'));
          assert.equal(err.code, 'FETCH_ERR_NETWORK');
          assert.match(String((err.cause as { code?: unknown }).code), /SELF_SIGNED|UNABLE_TO_VERIFY/, 'a self-signed certificate is refused');
          assert.deepEqual(rec.calls, [{ hostname: PUBLIC, port: '443', servername: 'public.test' }]);
          assert.deepEqual(sni, ['public.test'], 'the ClientHello names the host, not the address');
          assert.equal(served, 0, 'no request was sent over the unverified connection');
        }, { to: () => port });
      } finally {
        await closeServer(server);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
