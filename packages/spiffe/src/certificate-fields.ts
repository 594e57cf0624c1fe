import { DerError, children, content, readTime, readTlv, type Tlv } from './der.js';

/** The fields of an X.509 certificate that the X509-SVID rules look at. */
export interface CertificateFields {
  notBefore: Date;
  notAfter: Date;
  /** Every URI subjectAltName, in order. */
  uris: string[];
  /** basicConstraints cA (false when the extension is absent). */
  isCa: boolean;
  /** The key usage bits, or undefined when the extension is absent. */
  keyUsage: { digitalSignature: boolean; keyCertSign: boolean; cRLSign: boolean } | undefined;
}

const OID_KEY_USAGE = '551d0f'; // 2.5.29.15
const OID_SUBJECT_ALT_NAME = '551d11'; // 2.5.29.17
const OID_BASIC_CONSTRAINTS = '551d13'; // 2.5.29.19

const SEQUENCE = 0x30;

function expect(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new DerError(`expected ${what}`);
  return tlv;
}

/** Reads the SVID-relevant fields of a DER certificate. Throws DerError when it is malformed. */
export function readCertificateFields(der: Uint8Array): CertificateFields {
  const cert = expect(readTlv(der, 0), SEQUENCE, 'Certificate SEQUENCE');
  const tbs = expect(children(der, cert)[0], SEQUENCE, 'TBSCertificate SEQUENCE');
  const fields = children(der, tbs);
  let i = fields[0]?.tag === 0xa0 ? 1 : 0; // optional [0] version
  i += 3; // serialNumber, signature, issuer
  const validity = children(der, expect(fields[i], SEQUENCE, 'Validity SEQUENCE'));
  const [nb, na] = validity;
  if (!nb || !na) throw new DerError('Validity needs notBefore and notAfter');
  const out: CertificateFields = {
    notBefore: readTime(der, nb),
    notAfter: readTime(der, na),
    uris: [],
    isCa: false,
    keyUsage: undefined,
  };
  const extsWrapper = fields.slice(i + 3).find((f) => f.tag === 0xa3);
  if (!extsWrapper) return out;
  const exts = expect(children(der, extsWrapper)[0], SEQUENCE, 'Extensions SEQUENCE');
  const seen = new Set<string>();
  for (const ext of children(der, exts)) {
    const parts = children(der, expect(ext, SEQUENCE, 'Extension SEQUENCE'));
    const oid = content(der, expect(parts[0], 0x06, 'extension OID')).toString('hex');
    const value = expect(parts[parts.length - 1], 0x04, 'extension value OCTET STRING');
    if (seen.has(oid)) throw new DerError(`duplicate extension ${oid}`);
    seen.add(oid);
    // The extension value is itself DER, parsed in place: offsets stay relative to `der`.
    const inner = readTlv(der, value.contentStart, value.end);
    if (oid === OID_SUBJECT_ALT_NAME) {
      for (const name of children(der, expect(inner, SEQUENCE, 'GeneralNames'))) {
        if (name.tag === 0x86) out.uris.push(content(der, name).toString('latin1')); // [6] URI
      }
    } else if (oid === OID_BASIC_CONSTRAINTS) {
      const first = children(der, expect(inner, SEQUENCE, 'BasicConstraints'))[0];
      out.isCa = first?.tag === 0x01 && content(der, first)[0] !== 0;
    } else if (oid === OID_KEY_USAGE) {
      const bits = content(der, expect(inner, 0x03, 'KeyUsage BIT STRING'));
      const b0 = bits[1] ?? 0;
      out.keyUsage = {
        digitalSignature: (b0 & 0x80) !== 0,
        keyCertSign: (b0 & 0x04) !== 0,
        cRLSign: (b0 & 0x02) !== 0,
      };
    }
  }
  return out;
}
