import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { credentials, Server, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { loadProtos, type HealthClient, type HealthHandlers } from '@stats-agent/proto';
import { authorizeAny, authorizeId, authorizeMemberOf } from './authorizers.js';
import { splitDerCertificates, spiffeIdFromPeerCertificate } from './certificate.js';
import { createChannelCredentials, createServerCredentials } from './credentials.js';
import { TrustDomain } from './id.js';
import { createX509Bundle, type X509Svid } from './svid.js';
import { TestCa } from './testing/ca.js';
import { DevWorkloadApiServer } from './testing/dev-server.js';
import { tempDir } from './testkit.js';
import { createX509Source, type X509Source } from './x509-source.js';

const T = { timeout: 30_000 };
const SERVER_ID = 'spiffe://stats-agent.local/ns/agents/sa/research';
const CLIENT_ID = 'spiffe://stats-agent.local/ns/agents/sa/orchestration';

let cleanup: () => Promise<void>;
let dev: DevWorkloadApiServer;
let serverSource: X509Source;
let clientSource: X509Source;
let server: Server;
let address: string;
/** Every call the server answered: who called, with which certificate serial. */
const seen: Array<{ id: string; serial: string }> = [];

before(async () => {
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  // Short rotation so that the loop below crosses several; the server also ages connections
  // out quickly so that rotated certificates are really used in new handshakes.
  dev = await DevWorkloadApiServer.start({
    socketDir: tmp.dir,
    workloads: { research: SERVER_ID, orchestration: CLIENT_ID },
    ttlSeconds: 60,
    rotateAfterSeconds: 1,
  });
  serverSource = await createX509Source({ socketPath: dev.endpoint('research') });
  clientSource = await createX509Source({ socketPath: dev.endpoint('orchestration') });
  server = new Server({ 'grpc.max_connection_age_ms': 700, 'grpc.max_connection_age_grace_ms': 5000 });
  const handlers: HealthHandlers = {
    Check: (call, callback) => {
      const peer = call.getAuthContext().sslPeerCertificate;
      seen.push({ id: spiffeIdFromPeerCertificate(peer).toString(), serial: peer?.serialNumber ?? '' });
      callback(null, { status: 'SERVING' });
    },
    Watch: (call) => {
      call.emit('error', { code: status.UNIMPLEMENTED });
    },
  };
  server.addService(loadProtos().health.Health.service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', createServerCredentials(serverSource), (err, p) => (err ? reject(err) : resolve(p))),
  );
  address = `127.0.0.1:${port}`;
}, { timeout: 20_000 });

after(async () => {
  server?.forceShutdown();
  await serverSource?.close();
  await clientSource?.close();
  await dev?.close();
  await cleanup?.();
}, { timeout: 20_000 });

function client(creds: ChannelCredentials): HealthClient {
  // The SPIFFE check ignores host names; overriding the TLS name keeps Node from sending an IP
  // address as SNI (DEP0123 warning) when dialing 127.0.0.1.
  return new (loadProtos().health.Health)(address, creds, { 'grpc.ssl_target_name_override': 'research.stats-agent.local' });
}

function check(c: HealthClient): Promise<string> {
  return new Promise((resolve, reject) => {
    c.Check({ service: '' }, { deadline: Date.now() + 3000 }, (err, res) => (err ? reject(err) : resolve(res?.status ?? '')));
  });
}

async function fails(creds: ChannelCredentials, detail?: RegExp): Promise<ServiceError> {
  const c = client(creds);
  try {
    const before = seen.length;
    let error: ServiceError | undefined;
    await assert.rejects(check(c), (err: ServiceError) => {
      error = err;
      return true;
    });
    assert.ok(error);
    assert.notEqual(error.code, status.OK);
    if (process.env['DEBUG_SPIFFE_TEST']) console.error(error.code, error.details);
    if (detail) assert.match(error.details, detail);
    assert.equal(seen.length, before, 'the handler never ran');
    return error;
  } finally {
    c.close();
  }
}

/** An X509Source that always serves one fixed SVID and bundle (for forged identities). */
function fixedSource(svid: X509Svid, bundleDer: Buffer, td: string): X509Source {
  const bundle = createX509Bundle(TrustDomain.parse(td), splitDerCertificates(bundleDer));
  return {
    getX509Svid: () => svid,
    // Whatever trust domain is asked for: a forger trusts whom it likes.
    getX509BundleForTrustDomain: () => bundle,
    onUpdate: () => () => {},
    close: () => Promise.resolve(),
  };
}

async function forgedSvid(ca: TestCa, spiffeId: string): Promise<X509Svid> {
  const minted = await ca.mintSvid({ spiffeId });
  const certificates = splitDerCertificates(minted.certChainDer);
  return {
    id: TrustDomain.parse(spiffeId).id(new URL(spiffeId).pathname),
    certificates,
    certChainPem: minted.certChainPem,
    privateKeyPem: minted.privateKeyPem,
    expiresAt: minted.expiresAt,
    hint: '',
  };
}

test('a client with an authorized SVID gets through, and the server sees its SPIFFE ID', T, async () => {
  const c = client(createChannelCredentials(clientSource, authorizeId(SERVER_ID)));
  try {
    assert.equal(await check(c), 'SERVING');
    assert.equal(seen.at(-1)?.id, CLIENT_ID);
  } finally {
    c.close();
  }
});

test('a plaintext client is refused', T, async () => {
  await fails(credentials.createInsecure());
});

test('a TLS client without a certificate is refused (client certificates are required)', T, async () => {
  await fails(credentials.createSsl(Buffer.from(dev.ca.bundlePem()), null, null, { checkServerIdentity: () => undefined }));
});

test('a client whose SVID comes from another CA is refused, even claiming our trust domain', T, async () => {
  // Control: the same kind of client with a genuine SVID gets through.
  const genuine = fixedSource(await forgedSvid(dev.ca, CLIENT_ID), dev.ca.bundleDer(), 'stats-agent.local');
  const ok = client(createChannelCredentials(genuine, authorizeAny()));
  try {
    assert.equal(await check(ok), 'SERVING');
  } finally {
    ok.close();
  }
  for (const td of ['stats-agent.local', 'evil.example']) {
    const evilCa = await TestCa.create({ trustDomain: td });
    const forged = fixedSource(await forgedSvid(evilCa, `spiffe://${td}/ns/agents/sa/orchestration`), dev.ca.bundleDer(), 'stats-agent.local');
    // The forger trusts our CA and accepts any server, so only the server's check can stop it.
    await fails(createChannelCredentials(forged, authorizeAny()));
  }
});

test('a client refuses a server its authorizer does not accept, naming the refused ID', T, async () => {
  const err = await fails(createChannelCredentials(clientSource, authorizeId('spiffe://stats-agent.local/ns/agents/sa/synthesis')));
  assert.equal(err.code, status.UNAVAILABLE);
  assert.match(err.details, /spiffe:\/\/stats-agent\.local\/ns\/agents\/sa\/research is not authorized/);
  await fails(createChannelCredentials(clientSource, authorizeMemberOf('other.example')));
});

test('a client refuses a server whose certificate comes from a CA it does not trust', T, async () => {
  const otherCa = await TestCa.create({ trustDomain: 'stats-agent.local' });
  const mine = fixedSource(await forgedSvid(otherCa, CLIENT_ID), otherCa.bundleDer(), 'stats-agent.local');
  await fails(createChannelCredentials(mine, authorizeAny()));
});

test('calls keep succeeding on one channel across several SVID rotations', T, async () => {
  const rotations: string[] = [];
  const stopWatching = clientSource.onUpdate((svid) => rotations.push(svid.certificates[0]?.serialNumber ?? ''));
  const serverSerials = new Set<string>();
  const stopServer = serverSource.onUpdate((svid) => serverSerials.add(svid.certificates[0]?.serialNumber ?? ''));
  const c = client(createChannelCredentials(clientSource, authorizeId(SERVER_ID)));
  const start = seen.length;
  try {
    const until = Date.now() + 5000;
    let calls = 0;
    while (Date.now() < until) {
      assert.equal(await check(c), 'SERVING', `call ${calls}`);
      calls += 1;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(calls >= 20, `${calls} calls`);
    assert.ok(rotations.length >= 3, `client SVID rotated ${rotations.length} times`);
    assert.ok(serverSerials.size >= 3, `server SVID rotated ${serverSerials.size} times`);
    // New handshakes presented rotated client certificates: rotation really reached TLS.
    const used = new Set(seen.slice(start).map((s) => s.serial));
    assert.ok(used.size >= 2, `the server saw ${used.size} client certificates`);
    for (const serial of used) assert.ok(serial.length > 0);
  } finally {
    c.close();
    stopWatching();
    stopServer();
  }
});

test("the client's authorizer receives the SPIFFE ID the server proved", T, async () => {
  const ids: string[] = [];
  const c = client(createChannelCredentials(clientSource, (id) => void ids.push(id.toString())));
  try {
    assert.equal(await check(c), 'SERVING');
    assert.deepEqual(ids, [SERVER_ID]);
  } finally {
    c.close();
  }
});
