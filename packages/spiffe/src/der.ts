/**
 * A minimal DER reader: just enough to split concatenated certificates and to read the few
 * X.509 fields the SPIFFE rules need (URI SANs, key usage, basic constraints, validity) without
 * a global-state ASN.1 library in production code.
 */

export interface Tlv {
  /** The identifier octet (this reader refuses multi-byte tags, which X.509 does not use). */
  tag: number;
  /** Offset of the first identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the last content octet. */
  end: number;
}

export class DerError extends Error {
  override readonly name = 'DerError';
}

/** Reads the TLV at `offset`, which must end at or before `limit`. Throws DerError when malformed. */
export function readTlv(buf: Uint8Array, offset: number, limit: number = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError(`truncated header at offset ${offset}`);
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at offset ${offset}`);
  const first = buf[offset + 1] as number;
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw new DerError(`indefinite length at offset ${offset} (not DER)`);
    if (count > 4) throw new DerError(`length of ${count} octets at offset ${offset}`);
    if (offset + 2 + count > limit) throw new DerError(`truncated length at offset ${offset}`);
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + (buf[offset + 2 + i] as number);
    if (length < 0x80 || (count > 1 && buf[offset + 2] === 0)) {
      throw new DerError(`non-minimal length at offset ${offset} (not DER)`);
    }
    contentStart = offset + 2 + count;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError(`content of ${length} octets at offset ${offset} runs past the end`);
  return { tag, start: offset, contentStart, end };
}

/** The TLVs directly inside `parent` (a constructed value), in order. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let offset = parent.contentStart;
  while (offset < parent.end) {
    const tlv = readTlv(buf, offset, parent.end);
    out.push(tlv);
    offset = tlv.end;
  }
  return out;
}

export function content(buf: Uint8Array, tlv: Tlv): Buffer {
  return Buffer.from(buf.buffer, buf.byteOffset + tlv.contentStart, tlv.end - tlv.contentStart);
}

/** Decodes a UTCTime (0x17) or GeneralizedTime (0x18) in the Zulu forms RFC 5280 allows. */
export function readTime(buf: Uint8Array, tlv: Tlv): Date {
  const text = content(buf, tlv).toString('latin1');
  let m: RegExpExecArray | null;
  let year: number;
  if (tlv.tag === 0x17 && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (tlv.tag === 0x18 && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    year = Number(m[1]);
  } else {
    throw new DerError(`unsupported time ${JSON.stringify(text)}`);
  }
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}
