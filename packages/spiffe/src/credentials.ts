import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';
import { experimental, type ChannelCredentials, type ServerCredentials } from '@grpc/grpc-js';
import type { Authorizer } from './authorizers.js';
import { spiffeIdFromPeerCertificate } from './certificate.js';
import { SpiffeError } from './errors.js';
import { validateX509Svid } from './svid.js';
import type { X509Source } from './x509-source.js';

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/**
 * A grpc-js CertificateProvider fed by an X509Source: the identity is the current SVID (chain and
 * key), the CA is the bundle of the SVID's own trust domain, both re-published on every rotation
 * so that new TLS handshakes use them while open connections and in-flight calls carry on.
 * It subscribes to the source only while grpc-js holds listeners.
 */
export class X509SourceCertificateProvider implements experimental.CertificateProvider {
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly source: X509Source) {}

  private current(): { ca: experimental.CaCertificateUpdate; identity: experimental.IdentityCertificateUpdate } | null {
    try {
      const svid = this.source.getX509Svid();
      const bundle = this.source.getX509BundleForTrustDomain(svid.id.trustDomain);
      if (!bundle) return null;
      return {
        ca: { caCertificate: Buffer.from(bundle.pem) },
        identity: { certificate: Buffer.from(svid.certChainPem), privateKey: Buffer.from(svid.privateKeyPem) },
      };
    } catch {
      return null; // closed source: grpc-js then refuses new handshakes instead of using stale keys
    }
  }

  private publish(): void {
    const now = this.current();
    for (const l of [...this.caListeners]) l(now?.ca ?? null);
    for (const l of [...this.identityListeners]) l(now?.identity ?? null);
  }

  private subscribe(): void {
    this.unsubscribe ??= this.source.onUpdate(() => this.publish());
  }

  private maybeUnsubscribe(): void {
    if (this.caListeners.size === 0 && this.identityListeners.size === 0) {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
    }
  }

  // The first value is delivered on the next tick, never synchronously: grpc-js server
  // credentials register their own watcher only AFTER adding listeners, and would miss it.
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    this.subscribe();
    process.nextTick(() => {
      if (this.caListeners.has(listener)) listener(this.current()?.ca ?? null);
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
    this.maybeUnsubscribe();
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    this.subscribe();
    process.nextTick(() => {
      if (this.identityListeners.has(listener)) listener(this.current()?.identity ?? null);
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
    this.maybeUnsubscribe();
  }
}

/**
 * Server mTLS credentials from an X509Source: presents the current SVID, REQUIRES a client
 * certificate and verifies its chain against the trust domain's bundle; rotations are picked up
 * without a restart. The caller's SPIFFE ID is then read per call with
 * spiffeIdFromPeerCertificate(call.getAuthContext().sslPeerCertificate) and authorized there.
 */
export function createServerCredentials(source: X509Source): ServerCredentials {
  const provider = new X509SourceCertificateProvider(source);
  // grpc-js 1.14 uses the FIRST argument as the identity provider whatever its name says
  // (FINDINGS.md): one provider serves both.
  return experimental.createCertificateProviderServerCredentials(provider, provider, true);
}

/** Rebuilds the chain the server presented (leaf first) from Node's detailed peer certificate. */
function peerChain(cert: PeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let c: DetailedPeerCertificate | undefined = cert as DetailedPeerCertificate;
  while (c?.raw && chain.length < 16) {
    chain.push(new X509Certificate(c.raw));
    const next: DetailedPeerCertificate | undefined = c.issuerCertificate;
    if (!next || next === c || next.raw?.equals(c.raw)) break;
    c = next;
  }
  return chain;
}

/**
 * Client mTLS credentials from an X509Source: presents the current SVID, verifies the server's
 * chain against the trust domain's bundle and, instead of a host-name check, requires the
 * server's SPIFFE ID (its single URI SAN, checked by the X509-SVID rules) to pass `authorizer`.
 * A refusal fails the connection attempt, so calls fail with UNAVAILABLE carrying its message.
 */
export function createChannelCredentials(source: X509Source, authorizer: Authorizer): ChannelCredentials {
  const provider = new X509SourceCertificateProvider(source);
  return experimental.createCertificateProviderChannelCredentials(provider, provider, {
    // Replaces Node's host-name check entirely (FINDINGS.md); it runs after chain verification.
    checkServerIdentity: (_hostname, cert) => {
      try {
        const id = spiffeIdFromPeerCertificate(cert);
        const bundle = source.getX509BundleForTrustDomain(id.trustDomain);
        if (!bundle) {
          throw new SpiffeError('SPIFFE_ERR_SVID_INVALID', `server ${id.toString()}: no bundle for trust domain ${id.trustDomain.name}`);
        }
        const chain = peerChain(cert);
        if (chain.length > 0) validateX509Svid(chain, bundle);
        authorizer(id);
        return undefined;
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    },
  });
}
