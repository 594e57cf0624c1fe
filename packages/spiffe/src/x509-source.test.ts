import assert from 'node:assert/strict';
import { createServer as createNetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { credentials, Metadata, Server, ServerCredentials, status, type ServerWritableStream, type ServiceError } from '@grpc/grpc-js';
import { loadProtos, type SpiffeWorkloadAPIHandlers, type X509SVIDResponse } from '@stats-agent/proto';
import { SpiffeError } from './errors.js';
import { TrustDomain } from './id.js';
import { DevWorkloadApiServer } from './testing/dev-server.js';
import { TestCa, type MintedSvid } from './testing/ca.js';
import { memoryLogger, tempDir, waitFor } from './testkit.js';
import { createX509Source, type X509Source } from './x509-source.js';
import type { X509Svid } from './svid.js';

const T = { timeout: 20_000 };
const RESEARCH = 'spiffe://stats-agent.local/ns/agents/sa/research';
const SYNTHESIS = 'spiffe://stats-agent.local/ns/agents/sa/synthesis';
const FAST_BACKOFF = { initialMs: 50, maxMs: 200 };

let dir: string;
let cleanup: () => Promise<void>;
before(async () => {
  ({ dir, cleanup } = await tempDir());
}, { timeout: 20_000 });
after(async () => {
  await cleanup();
}, { timeout: 20_000 });

/** Starts a dev server in its own sub-folder and stops it after `fn`, whatever happens. */
async function withDevServer<R>(
  name: string,
  opts: { rotateAfterSeconds?: number; ca?: TestCa },
  fn: (dev: DevWorkloadApiServer) => Promise<R>,
): Promise<R> {
  const dev = await DevWorkloadApiServer.start({
    socketDir: join(dir, name),
    workloads: { research: RESEARCH, synthesis: SYNTHESIS },
    ...opts,
  });
  try {
    return await fn(dev);
  } finally {
    await dev.close();
  }
}

async function withSource<R>(socketPath: string, fn: (source: X509Source) => Promise<R>, extra: object = {}): Promise<R> {
  const source = await createX509Source({ socketPath, initialTimeoutMs: 5000, backoff: FAST_BACKOFF, ...extra });
  try {
    return await fn(source);
  } finally {
    await source.close();
  }
}

test('X509Source receives the first SVID and bundle over the real Workload API protocol', T, async () => {
  await withDevServer('first', {}, async (dev) => {
    await withSource(dev.endpoint('research'), async (source) => {
      const svid = source.getX509Svid();
      assert.equal(svid.id.toString(), RESEARCH);
      assert.equal(svid.certificates[0]?.serialNumber, dev.currentSvid('research').serialNumber);
      assert.equal(svid.hint, '');
      assert.match(svid.certChainPem, /^-----BEGIN CERTIFICATE-----/);
      assert.match(svid.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
      assert.ok(svid.expiresAt.getTime() > Date.now() + 3000_000);
      const bundle = source.getX509BundleForTrustDomain(TrustDomain.parse('stats-agent.local'));
      assert.ok(bundle);
      assert.ok(bundle.authorities[0]?.raw.equals(dev.ca.bundleDer()));
      assert.equal(source.getX509BundleForTrustDomain(TrustDomain.parse('other.example')), undefined);
    });
    // Another socket, another identity: the socket is what tells workloads apart.
    await withSource(dev.socketPath('synthesis'), async (source) => {
      assert.equal(source.getX509Svid().id.toString(), SYNTHESIS);
    });
  });
});

test('rotateNow delivers a new SVID with a new serial and onUpdate fires', T, async () => {
  await withDevServer('rotate-now', {}, async (dev) => {
    await withSource(dev.endpoint('research'), async (source) => {
      const first = source.getX509Svid().certificates[0]?.serialNumber;
      const updates: X509Svid[] = [];
      const unsubscribe = source.onUpdate((svid) => updates.push(svid));
      await dev.rotateNow('research');
      await waitFor('the rotated SVID', () => updates.length === 1);
      const rotated = updates[0]?.certificates[0]?.serialNumber;
      assert.notEqual(rotated, first);
      assert.equal(rotated, dev.currentSvid('research').serialNumber);
      assert.equal(source.getX509Svid().certificates[0]?.serialNumber, rotated);
      unsubscribe();
      await dev.rotateNow();
      await waitFor('the second rotation', () => source.getX509Svid().certificates[0]?.serialNumber !== rotated);
      assert.equal(updates.length, 1, 'no call after unsubscribe');
    });
  });
});

test('rotateAfterSeconds pushes fresh SVIDs on open streams', T, async () => {
  await withDevServer('rotate-timer', { rotateAfterSeconds: 1 }, async (dev) => {
    await withSource(dev.endpoint('research'), async (source) => {
      const serials = new Set([source.getX509Svid().certificates[0]?.serialNumber]);
      source.onUpdate((svid) => serials.add(svid.certificates[0]?.serialNumber));
      await waitFor('two timed rotations', () => serials.size >= 3, 5000);
    });
  });
});

test('a missing socket is SPIFFE_ERR_NO_SOCKET telling what to start', T, async () => {
  const path = join(dir, 'nothing-here.sock');
  await assert.rejects(createX509Source({ socketPath: `unix://${path}` }), (err: unknown) => {
    assert.ok(err instanceof SpiffeError);
    assert.equal(err.code, 'SPIFFE_ERR_NO_SOCKET');
    assert.ok(err.message.includes(path), err.message);
    assert.match(
      err.message,
      /start the SPIFFE agent or the development Workload API server \(`stats-agent-spiffe-dev serve`\) and set SPIFFE_ENDPOINT_SOCKET/,
    );
    return true;
  });
  await assert.rejects(createX509Source({ socketPath: 'tcp://127.0.0.1:1' }), { code: 'SPIFFE_ERR_NO_SOCKET' });
});

test('the dev server refuses calls without the workload.spiffe.io header (InvalidArgument)', T, async () => {
  await withDevServer('header', {}, async (dev) => {
    const { SpiffeWorkloadAPI } = loadProtos().workload;
    const client = new SpiffeWorkloadAPI(`unix:${dev.socketPath('research')}`, credentials.createInsecure());
    try {
      const firstError = (md: Metadata): Promise<ServiceError> =>
        new Promise((resolve, reject) => {
          const call = client.FetchX509SVID({}, md);
          call.on('data', () => reject(new Error('an SVID was served without the security header')));
          call.on('error', resolve);
        });
      for (const value of [undefined, 'false', 'TRUE']) {
        const md = new Metadata();
        if (value !== undefined) md.set('workload.spiffe.io', value);
        const err = await firstError(md);
        assert.equal(err.code, status.INVALID_ARGUMENT, `header ${String(value)}`);
        assert.match(err.details, /security header missing/);
      }
      const unary = await new Promise<ServiceError | null>((resolve) => {
        const md = new Metadata();
        md.set('workload.spiffe.io', 'true');
        client.FetchJWTSVID({ audience: ['x'] }, md, (err) => resolve(err));
      });
      assert.equal(unary?.code, status.UNIMPLEMENTED);
    } finally {
      client.close();
    }
  });
});

test('no SVID within initialTimeoutMs is SPIFFE_ERR_WORKLOAD_API_UNAVAILABLE', T, async () => {
  // A socket that accepts connections and never speaks HTTP/2.
  const path = join(dir, 'silent.sock');
  const sockets = new Set<Socket>();
  const silent = createNetServer((s) => sockets.add(s));
  await new Promise<void>((resolve) => silent.listen(path, resolve));
  try {
    const started = Date.now();
    await assert.rejects(createX509Source({ socketPath: path, initialTimeoutMs: 400, backoff: FAST_BACKOFF }), (err: unknown) => {
      assert.ok(err instanceof SpiffeError);
      assert.equal(err.code, 'SPIFFE_ERR_WORKLOAD_API_UNAVAILABLE');
      assert.match(err.message, /no valid X509-SVID .* within 400 ms/);
      return true;
    });
    assert.ok(Date.now() - started < 3000);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});

/** A scripted fake agent on a socket, for the paths the dev server never takes. */
async function fakeAgent(
  path: string,
  fetch: (call: ServerWritableStream<unknown, X509SVIDResponse>) => void,
): Promise<{ close: () => Promise<void> }> {
  const server = new Server();
  const unimplemented = (): void => {
    throw new Error('not used');
  };
  const handlers: SpiffeWorkloadAPIHandlers = {
    FetchX509SVID: fetch,
    FetchX509Bundles: unimplemented,
    FetchJWTBundles: unimplemented,
    FetchJWTSVID: unimplemented,
    ValidateJWTSVID: unimplemented,
  };
  server.addService(loadProtos().workload.SpiffeWorkloadAPI.service, handlers);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${path}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  return { close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}

function responseOf(svid: MintedSvid, ca: TestCa, spiffeId = svid.spiffeId): X509SVIDResponse {
  return {
    svids: [{ spiffe_id: spiffeId, x509_svid: svid.certChainDer, x509_svid_key: svid.privateKeyPkcs8Der, bundle: ca.bundleDer(), hint: 'internal' }],
  };
}

test('invalid updates are logged and ignored; the last good SVID stays', T, async () => {
  const ca = await TestCa.create({ trustDomain: 'stats-agent.local' });
  const evil = await TestCa.create({ trustDomain: 'stats-agent.local' });
  const good = await ca.mintSvid({ spiffeId: RESEARCH });
  const other = await ca.mintSvid({ spiffeId: RESEARCH });
  const invalid: X509SVIDResponse[] = [
    responseOf(await evil.mintSvid({ spiffeId: RESEARCH }), ca), // signed by a CA not in the bundle
    responseOf(await ca.mintSvid({ spiffeId: RESEARCH, isCa: true }), ca),
    { svids: [{ ...responseOf(good, ca).svids?.[0], x509_svid_key: other.privateKeyPkcs8Der }] }, // key of another SVID
    responseOf(good, ca, SYNTHESIS), // spiffe_id differs from the certificate
    { svids: [] },
  ];
  const logger = memoryLogger();
  let stream: ServerWritableStream<unknown, X509SVIDResponse> | undefined;
  const agent = await fakeAgent(join(dir, 'scripted.sock'), (call) => {
    stream = call;
    call.write(responseOf(good, ca));
  });
  try {
    await withSource(
      join(dir, 'scripted.sock'),
      async (source) => {
        const updates: X509Svid[] = [];
        source.onUpdate((s) => updates.push(s));
        assert.equal(source.getX509Svid().hint, 'internal');
        for (const response of invalid) stream?.write(response);
        await waitFor('every invalid update to be refused', () => logger.lines.filter((l) => l.level === 'warn').length === invalid.length);
        assert.equal(updates.length, 0);
        assert.equal(source.getX509Svid().certificates[0]?.serialNumber, good.serialNumber);
        const reasons = logger.lines.filter((l) => l.level === 'warn').map((l) => (l['err'] as { message: string }).message);
        assert.match(reasons[0] ?? '', /does not verify up to an authority/);
        assert.match(reasons[1] ?? '', /leaf certificate is a CA/);
        assert.match(reasons[2] ?? '', /private key does not match/);
        assert.match(reasons[3] ?? '', /differs from the certificate/);
        assert.match(reasons[4] ?? '', /no SVID in the response/);
        assert.ok(!JSON.stringify(logger.lines).includes('PRIVATE KEY'), 'no key in the log');
      },
      { logger },
    );
  } finally {
    await agent.close();
  }
});

test('InvalidArgument from the agent stops the source at once', T, async () => {
  const logger = memoryLogger();
  const agent = await fakeAgent(join(dir, 'refusing.sock'), (call) => {
    call.emit('error', { code: status.INVALID_ARGUMENT, details: 'security header missing from request' });
  });
  try {
    const started = Date.now();
    await assert.rejects(createX509Source({ socketPath: join(dir, 'refusing.sock'), logger, backoff: FAST_BACKOFF }), (err: unknown) => {
      assert.ok(err instanceof SpiffeError);
      assert.equal(err.code, 'SPIFFE_ERR_WORKLOAD_API_UNAVAILABLE');
      assert.match(err.message, /refused FetchX509SVID: security header missing/);
      return true;
    });
    assert.ok(Date.now() - started < 2000, 'did not wait for the initial timeout');
    assert.ok(logger.lines.some((l) => l.level === 'error' && /not retrying/.test(l.msg ?? '')));
  } finally {
    await agent.close();
  }
});

test('the source keeps its SVID while the agent is down and reconnects with backoff', T, async () => {
  const ca = await TestCa.create({ trustDomain: 'stats-agent.local' });
  const socketDir = join(dir, 'restart');
  const logger = memoryLogger();
  const dev1 = await DevWorkloadApiServer.start({ socketDir, workloads: { research: RESEARCH }, ca });
  let dev2: DevWorkloadApiServer | undefined;
  try {
    await withSource(
      dev1.socketPath('research'),
      async (source) => {
        const before = source.getX509Svid().certificates[0]?.serialNumber;
        await dev1.close();
        await waitFor('a reconnect attempt', () => logger.lines.some((l) => /reconnecting/.test(l.msg ?? '')));
        assert.equal(source.getX509Svid().certificates[0]?.serialNumber, before, 'still serving the last SVID');
        dev2 = await DevWorkloadApiServer.start({ socketDir, workloads: { research: RESEARCH }, ca });
        const next = dev2.currentSvid('research').serialNumber;
        await waitFor('the SVID of the restarted agent', () => source.getX509Svid().certificates[0]?.serialNumber === next, 5000);
      },
      { logger },
    );
  } finally {
    await dev1.close();
    await dev2?.close();
  }
});

test('close() is idempotent and the source refuses use afterwards', T, async () => {
  await withDevServer('close', {}, async (dev) => {
    const source = await createX509Source({ socketPath: dev.endpoint('research') });
    await source.close();
    await source.close();
    assert.throws(() => source.getX509Svid(), { code: 'SPIFFE_ERR_CLOSED' });
  });
});

test('SPIFFE_ENDPOINT_SOCKET is the default socket', T, async () => {
  await withDevServer('env', {}, async (dev) => {
    const saved = process.env['SPIFFE_ENDPOINT_SOCKET'];
    process.env['SPIFFE_ENDPOINT_SOCKET'] = dev.endpoint('synthesis');
    try {
      const source = await createX509Source();
      assert.equal(source.getX509Svid().id.toString(), SYNTHESIS);
      await source.close();
    } finally {
      if (saved === undefined) delete process.env['SPIFFE_ENDPOINT_SOCKET'];
      else process.env['SPIFFE_ENDPOINT_SOCKET'] = saved;
    }
  });
});
