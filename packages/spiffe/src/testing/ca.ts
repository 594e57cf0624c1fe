import { createPrivateKey, randomBytes, X509Certificate, type webcrypto } from 'node:crypto';
import { certificateFields } from '../certificate.js';
import { TrustDomain } from '../id.js';
import { subtle, x509 } from './x509-lib.js';

/** Key usages a test may put on a minted leaf. */
export type KeyUsageName = 'digitalSignature' | 'keyEncipherment' | 'keyAgreement' | 'keyCertSign' | 'cRLSign';

export interface MintSvidOptions {
  /** The URI SAN; not validated, so that negative tests can mint a non-SPIFFE URI. */
  spiffeId: string;
  /** Lifetime from now (default 3600), clamped to the issuing CA's own lifetime. */
  ttlSeconds?: number;
  // Overrides for negative tests:
  /** More URI SANs after `spiffeId`. */
  extraUris?: string[];
  /** No subjectAltName extension at all. */
  noUri?: boolean;
  /** basicConstraints cA true. */
  isCa?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  /** Key usages (default digitalSignature, keyEncipherment, keyAgreement); null omits the extension. */
  keyUsage?: KeyUsageName[] | null;
}

/** A freshly minted X509-SVID. The key exists only in memory unless the caller writes it. */
export interface MintedSvid {
  spiffeId: string;
  /** Leaf first, then the issuing intermediates (never the root). */
  certChainPem: string;
  certChainDer: Buffer;
  privateKeyPem: string;
  privateKeyPkcs8Der: Buffer;
  expiresAt: Date;
  serialNumber: string;
}

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** Issued certificates start a little in the past, as SPIRE's do, to absorb clock skew. */
const BACKDATE_MS = 10_000;

const KEY_USAGE_FLAGS: Record<KeyUsageName, x509.KeyUsageFlags> = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  keyEncipherment: x509.KeyUsageFlags.keyEncipherment,
  keyAgreement: x509.KeyUsageFlags.keyAgreement,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  cRLSign: x509.KeyUsageFlags.cRLSign,
};

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40; // positive, and always 16 bytes long
  return bytes.toString('hex');
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

function toNode(cert: x509.X509Certificate): X509Certificate {
  return new X509Certificate(Buffer.from(cert.rawData));
}

/**
 * An in-process certificate authority for tests and development (EC P-256, WebCrypto): a root
 * for a trust domain, or an intermediate under one. Nothing it creates is ever written to disk
 * by this class.
 */
export class TestCa {
  readonly trustDomain: TrustDomain;
  /** This CA's own certificate (the root, or the intermediate). */
  readonly certificate: X509Certificate;

  private constructor(
    trustDomain: TrustDomain,
    private readonly cert: x509.X509Certificate,
    private readonly keys: webcrypto.CryptoKeyPair,
    /** The CA certificates above this one, nearest first, ending with the root. */
    private readonly parents: x509.X509Certificate[],
  ) {
    this.trustDomain = trustDomain;
    this.certificate = toNode(cert);
  }

  /** Creates a self-signed root CA (default lifetime 24 h) with URI SAN spiffe://<trustDomain>. */
  static async create(opts: { trustDomain: string; validForSeconds?: number }): Promise<TestCa> {
    const td = TrustDomain.parse(opts.trustDomain);
    const keys = await generateKeys();
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `O=stats-agent development CA, CN=${td.name}`,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + (opts.validForSeconds ?? 86_400) * 1000),
      keys,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: td.idString() }]),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new TestCa(td, cert, keys, []);
  }

  /**
   * Loads a root CA saved with certificatePem() and privateKeyPem() (an EC P-256 key). The trust
   * domain is read from the certificate's URI SAN. Throws when the pair does not fit.
   */
  static async fromPem(opts: { certificatePem: string; privateKeyPem: string }): Promise<TestCa> {
    const cert = new x509.X509Certificate(opts.certificatePem);
    const nodeCert = toNode(cert);
    const uri = certificateFields(nodeCert).uris[0];
    if (!uri) throw new Error('TestCa: the CA certificate has no URI SAN naming its trust domain');
    const td = TrustDomain.parse(uri);
    const keyObject = createPrivateKey(opts.privateKeyPem);
    if (keyObject.asymmetricKeyType !== 'ec' || keyObject.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error('TestCa: the CA key must be an EC P-256 key');
    }
    if (!nodeCert.checkPrivateKey(keyObject)) throw new Error('TestCa: the CA key does not match the CA certificate');
    const pkcs8 = keyObject.export({ format: 'der', type: 'pkcs8' });
    const privateKey = await subtle.importKey('pkcs8', pkcs8, EC_P256, true, ['sign']);
    const publicKey = await cert.publicKey.export(EC_P256, ['verify']);
    return new TestCa(td, cert, { privateKey, publicKey }, []);
  }

  /** An intermediate CA under this one: SVIDs it mints carry it in their chain. */
  async createIntermediate(opts: { validForSeconds?: number } = {}): Promise<TestCa> {
    const keys = await generateKeys();
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `O=stats-agent development intermediate CA, CN=${this.trustDomain.name}`,
      issuer: this.cert.subject,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(Math.min(now + (opts.validForSeconds ?? 43_200) * 1000, this.cert.notAfter.getTime())),
      publicKey: keys.publicKey,
      signingKey: this.keys.privateKey,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: this.trustDomain.idString() }]),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.keys.publicKey),
      ],
    });
    return new TestCa(this.trustDomain, cert, keys, [this.cert, ...this.parents]);
  }

  private root(): x509.X509Certificate {
    return this.parents[this.parents.length - 1] ?? this.cert;
  }

  /** The trust bundle (the root certificate) as PEM. */
  bundlePem(): string {
    return this.root().toString('pem') + '\n';
  }

  /** The trust bundle (the root certificate) as DER, as the Workload API sends it. */
  bundleDer(): Buffer {
    return Buffer.from(this.root().rawData);
  }

  /** This CA's certificate as PEM (for saving a development CA). */
  certificatePem(): string {
    return this.cert.toString('pem') + '\n';
  }

  /** This CA's private key as PKCS#8 PEM (for saving a development CA: write it mode 0600). */
  async privateKeyPem(): Promise<string> {
    const der = Buffer.from(await subtle.exportKey('pkcs8', this.keys.privateKey));
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  /**
   * Mints an X509-SVID like SPIRE's: EC P-256 key, leaf not a CA, key usage digitalSignature
   * (critical), extended key usage serverAuth + clientAuth, one URI SAN. The options break those
   * rules one at a time for negative tests.
   */
  async mintSvid(opts: MintSvidOptions): Promise<MintedSvid> {
    const keys = await generateKeys();
    const now = Date.now();
    const caNotAfter = this.cert.notAfter.getTime();
    const notBefore = opts.notBefore ?? new Date(now - BACKDATE_MS);
    const notAfter = opts.notAfter ?? new Date(Math.min(now + (opts.ttlSeconds ?? 3600) * 1000, caNotAfter));
    const usages = opts.keyUsage === undefined ? (['digitalSignature', 'keyEncipherment', 'keyAgreement'] as const) : opts.keyUsage;
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(opts.isCa ?? false, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(this.keys.publicKey),
    ];
    if (usages !== null) {
      const flags = usages.reduce((acc, u) => acc | KEY_USAGE_FLAGS[u], 0);
      extensions.push(new x509.KeyUsagesExtension(flags, true));
    }
    if (!opts.noUri) {
      const uris = [opts.spiffeId, ...(opts.extraUris ?? [])];
      extensions.push(new x509.SubjectAlternativeNameExtension(uris.map((value) => ({ type: 'url' as const, value })), true));
    }
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: 'C=US, O=SPIFFE',
      issuer: this.cert.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: this.keys.privateKey,
      signingAlgorithm: SIGNING,
      extensions,
    });
    const chain = [leaf, ...(this.parents.length > 0 ? [this.cert, ...this.parents.slice(0, -1)] : [])];
    const privateKeyPkcs8Der = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey));
    const privateKeyPem = createPrivateKey({ key: privateKeyPkcs8Der, format: 'der', type: 'pkcs8' })
      .export({ format: 'pem', type: 'pkcs8' })
      .toString();
    return {
      spiffeId: opts.spiffeId,
      certChainPem: chain.map((c) => c.toString('pem') + '\n').join(''),
      certChainDer: Buffer.concat(chain.map((c) => Buffer.from(c.rawData))),
      privateKeyPem,
      privateKeyPkcs8Der,
      expiresAt: notAfter,
      serialNumber: toNode(leaf).serialNumber,
    };
  }
}
