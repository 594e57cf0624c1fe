import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';
import { createHmac } from 'node:crypto';
import { createAuthenticator } from './authenticator.js';
import { EdgeError } from './errors.js';
import { createOidcVerifier, type TokenCheck } from './oidc.js';

/** A local identity provider: discovery document and JWKS, as Okta serves them (`/v1/keys`). */
class FakeIdp {
  server!: Server;
  issuer = '';
  keys: JWK[] = [];
  jwksHits = 0;
  mode: 'ok' | 'error' | 'hang' = 'ok';
  discoveryIssuer: string | undefined;
  private hung: ServerResponse[] = [];

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/oauth2/default/.well-known/openid-configuration') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ issuer: this.discoveryIssuer ?? this.issuer, jwks_uri: `${this.issuer}/v1/keys`, id_token_signing_alg_values_supported: ['RS256'] }));
        return;
      }
      if (req.url === '/oauth2/default/v1/keys') {
        this.jwksHits++;
        if (this.mode === 'hang') {
          this.hung.push(res);
          return;
        }
        if (this.mode === 'error') {
          res.statusCode = 500;
          res.end('oops');
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: this.keys }));
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/oauth2/default`;
  }

  async stop(): Promise<void> {
    for (const r of this.hung) r.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const AUD = 'api://stats-agent';
const idp = new FakeIdp();
let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
let ec: { privateKey: CryptoKey; publicKey: CryptoKey };
let other: { privateKey: CryptoKey; publicKey: CryptoKey };

async function publicJwk(key: CryptoKey, kid: string, alg: string): Promise<JWK> {
  return { ...(await exportJWK(key)), kid, alg, use: 'sig' };
}

function sign(claims: Record<string, unknown>, key: CryptoKey, header: { alg: string; kid: string }, opts: { exp?: string | number; nbf?: string | number; iss?: string; aud?: string } = {}): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader(header)
    .setSubject('user-42')
    .setIssuedAt()
    .setIssuer(opts.iss ?? idp.issuer)
    .setAudience(opts.aud ?? AUD)
    .setExpirationTime(opts.exp ?? '5m');
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign(key);
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const failure = (r: TokenCheck) => (r.ok ? 'ok' : r.reason);

before(async () => {
  await idp.start();
  rsa = await generateKeyPair('RS256');
  ec = await generateKeyPair('ES256');
  other = await generateKeyPair('RS256');
  idp.keys = [await publicJwk(rsa.publicKey, 'rsa-1', 'RS256'), await publicJwk(ec.publicKey, 'ec-1', 'ES256')];
});
after(() => idp.stop());

describe('OIDC access tokens', { timeout: 20_000 }, () => {
  const verifier = () => createOidcVerifier({ issuer: idp.issuer, audience: AUD, allowInsecureLoopback: true, timeoutMs: 1000, cooldownMs: 0 });

  test('an RS256 token with Okta scp and an ES256 token with scope verify; the JWKS URL comes from discovery', async () => {
    const v = verifier();
    const r1 = await v.verify(await sign({ scp: ['stats:search', 'openid'], cid: 'client-7' }, rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }));
    assert.ok(r1.ok, failure(r1));
    assert.equal(r1.subject, 'user-42');
    assert.deepEqual(r1.scopes, ['stats:search']);
    assert.equal(r1.clientId, 'client-7');
    const r2 = await v.verify(await sign({ scope: 'stats:read stats:admin' }, ec.privateKey, { alg: 'ES256', kid: 'ec-1' }));
    assert.ok(r2.ok, failure(r2));
    assert.deepEqual(r2.scopes, ['stats:read', 'stats:admin']);
    assert.equal((await v.jwksUrl()).href, `${idp.issuer}/v1/keys`);
  });

  test('forged, expired, not-yet-valid, wrong-issuer and wrong-audience tokens are refused with their reason', async () => {
    const v = verifier();
    const h = { alg: 'RS256', kid: 'rsa-1' };
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, Promise<string>, string]> = [
      ['forged (another key, same kid)', sign({}, other.privateKey, h), 'jwt_bad_signature'],
      ['expired beyond the tolerance', sign({}, rsa.privateKey, h, { exp: now - 120 }), 'jwt_expired'],
      ['not valid yet', sign({}, rsa.privateKey, h, { nbf: now + 600 }), 'jwt_not_yet_valid'],
      ['another issuer', sign({}, rsa.privateKey, h, { iss: 'https://evil.example/oauth2/default' }), 'jwt_wrong_issuer'],
      ['another audience', sign({}, rsa.privateKey, h, { aud: 'api://other' }), 'jwt_wrong_audience'],
    ];
    for (const [what, token, reason] of cases) {
      const r = await v.verify(await token);
      assert.equal(failure(r), reason, what);
      assert.equal(r.ok ? undefined : r.unavailable, undefined, `${what} is the token's fault`);
    }
    // Within the clock tolerance (30 s) an expired token still passes.
    assert.ok((await v.verify(await sign({}, rsa.privateKey, h, { exp: now - 5 }))).ok);
  });

  test('alg none and HS256 "signed" with the RSA public key are refused before any key is used', async () => {
    const v = verifier();
    const claims = { sub: 'user-42', iss: idp.issuer, aud: AUD, exp: Math.floor(Date.now() / 1000) + 300, scope: 'stats:admin' };
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    assert.equal(failure(await v.verify(none)), 'jwt_alg_not_allowed');
    const pem = await exportSPKI(rsa.publicKey);
    const input = `${b64({ alg: 'HS256', kid: 'rsa-1', typ: 'JWT' })}.${b64(claims)}`;
    const confused = `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    assert.equal(failure(await v.verify(confused)), 'jwt_alg_not_allowed');
    assert.throws(() => createOidcVerifier({ issuer: idp.issuer, audience: AUD, allowInsecureLoopback: true, algorithms: ['RS256', 'HS256'] }), /HS256 is not allowed/);
    assert.throws(() => createOidcVerifier({ issuer: idp.issuer, audience: AUD, allowInsecureLoopback: true, algorithms: ['none'] }), /none is not allowed/);
  });

  test('a token with an unknown kid makes the JWKS be fetched again (key rotation), but not within the cooldown', async () => {
    const rotated = await generateKeyPair('RS256');
    const token = await sign({ scope: 'stats:read' }, rotated.privateKey, { alg: 'RS256', kid: 'rsa-2' });
    const patient = createOidcVerifier({ issuer: idp.issuer, audience: AUD, allowInsecureLoopback: true, cooldownMs: 600_000 });
    const eager = verifier();
    // Both load the current set first.
    assert.ok((await patient.verify(await sign({}, rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }))).ok);
    assert.ok((await eager.verify(await sign({}, rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }))).ok);
    const saved = idp.keys;
    idp.keys = [...saved, await publicJwk(rotated.publicKey, 'rsa-2', 'RS256')];
    try {
      const hits = idp.jwksHits;
      assert.equal(failure(await patient.verify(token)), 'jwt_unknown_key', 'within the cooldown the new key is not fetched');
      assert.equal(idp.jwksHits, hits);
      const r = await eager.verify(token);
      assert.ok(r.ok, failure(r));
      assert.equal(idp.jwksHits, hits + 1, 'exactly one refetch');
      assert.equal(failure(await eager.verify(await sign({}, rsa.privateKey, { alg: 'RS256', kid: 'nope' }))), 'jwt_unknown_key');
    } finally {
      idp.keys = saved;
    }
  });

  test('a JWKS endpoint that is down, failing or silent is "unavailable", not the token\'s fault', async () => {
    const token = await sign({}, rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/v1/keys`;
    await new Promise<void>((r) => closed.close(() => r()));
    const down = await createOidcVerifier({ issuer: idp.issuer, audience: AUD, jwksUrl: deadUrl, allowInsecureLoopback: true }).verify(token);
    assert.deepEqual([failure(down), down.ok ? false : down.unavailable], ['jwks_unavailable', true]);
    idp.mode = 'error';
    try {
      const failing = await verifier().verify(token);
      assert.deepEqual([failure(failing), failing.ok ? false : failing.unavailable], ['jwks_unavailable', true]);
      idp.mode = 'hang';
      const silent = await createOidcVerifier({ issuer: idp.issuer, audience: AUD, allowInsecureLoopback: true, timeoutMs: 200 }).verify(token);
      assert.deepEqual([failure(silent), silent.ok ? false : silent.unavailable], ['jwks_timeout', true]);
    } finally {
      idp.mode = 'ok';
    }
    // Once it is back, the same verifier works (discovery/JWKS are retried, not cached as failed).
    const v = verifier();
    idp.mode = 'error';
    assert.equal(failure(await v.verify(token)), 'jwks_unavailable');
    idp.mode = 'ok';
    assert.ok((await v.verify(token)).ok);
  });

  test('discovery must name the configured issuer; plain http is refused off loopback', async () => {
    idp.discoveryIssuer = 'https://evil.example/oauth2/default';
    try {
      const r = await verifier().verify(await sign({}, rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' }));
      assert.equal(failure(r), 'oidc_discovery_failed');
    } finally {
      idp.discoveryIssuer = undefined;
    }
    assert.throws(() => createOidcVerifier({ issuer: 'http://idp.example.com/oauth2/default', audience: AUD, allowInsecureLoopback: true }), /must be https/);
    assert.throws(() => createOidcVerifier({ issuer: idp.issuer, audience: AUD }), /must be https/);
    assert.throws(() => createOidcVerifier({ issuer: 'https://idp.example.com', audience: '' }), /OIDC_AUDIENCE/);
  });
});

describe('bearer tokens through the authenticator', { timeout: 20_000 }, () => {
  test('a JWT-shaped bearer goes to OIDC: principal kind jwt; a bad token is 401, an unreachable IdP 503', async () => {
    const auth = createAuthenticator({ oidc: createOidcVerifier({ issuer: idp.issuer, audience: AUD, allowInsecureLoopback: true, cooldownMs: 0 }) });
    const token = await sign({ scp: ['stats:read'] }, rsa.privateKey, { alg: 'RS256', kid: 'rsa-1' });
    assert.deepEqual(await auth.authenticate({ authorization: `Bearer ${token}` }), { id: 'user-42', kind: 'jwt', scopes: ['stats:read'], subject: 'user-42' });
    const claims = { sub: 'x', iss: idp.issuer, aud: AUD, exp: Math.floor(Date.now() / 1000) + 60 };
    await assert.rejects(auth.authenticate({ authorization: `Bearer ${b64({ alg: 'none' })}.${b64(claims)}.` }), (e: unknown) => e instanceof EdgeError && e.status === 401 && e.reason === 'jwt_alg_not_allowed');
    await assert.rejects(auth.authenticate({ authorization: `Bearer sk_a_${'x'.repeat(43)}` }), (e: unknown) => e instanceof EdgeError && e.status === 401 && e.reason === 'api_keys_disabled');
    idp.mode = 'error';
    try {
      const fresh = createAuthenticator({ oidc: createOidcVerifier({ issuer: idp.issuer, audience: AUD, allowInsecureLoopback: true }) });
      await assert.rejects(fresh.authenticate({ authorization: `Bearer ${token}` }), (e: unknown) => e instanceof EdgeError && e.status === 503 && e.code === 'auth_unavailable');
    } finally {
      idp.mode = 'ok';
    }
  });
});
