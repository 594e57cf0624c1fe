import iconv from 'iconv-lite';

const SNIFF_BYTES = 1024;

// Labels that mean windows-1252, as browsers read them (WHATWG Encoding).
const WINDOWS_1252 = new Set([
  'windows-1252', 'cp1252', 'x-cp1252', 'iso-8859-1', 'iso8859-1', 'iso_8859-1', 'iso88591', 'latin1', 'l1', 'cp819',
  'ibm819', 'iso-ir-100', 'csisolatin1', 'us-ascii', 'ascii', 'ansi_x3.4-1968',
]);
const UTF8 = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'x-unicode20utf8']);

/** The `charset` parameter of a Content-Type header, lower case, if any. */
export function charsetFromContentType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const m = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  const label = (m?.[1] ?? m?.[2] ?? '').trim().toLowerCase();
  return label === '' ? undefined : label;
}

/**
 * The charset an HTML page declares in its first 1024 bytes, by `<meta charset>` or
 * `<meta http-equiv="Content-Type" content="…; charset=…">`, if any. A declared UTF-16 is read
 * as UTF-8, as browsers do: a page whose meta tag could be read as ASCII is not UTF-16.
 */
export function sniffHtmlCharset(body: Uint8Array): string | undefined {
  const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, SNIFF_BYTES)).toString('latin1');
  const m = /<meta\s[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head);
  const label = m?.[1]?.toLowerCase();
  if (label === undefined) return undefined;
  return label.startsWith('utf-16') ? 'utf-8' : label;
}

/**
 * Decodes a body: a byte-order mark wins, then `label`, then UTF-8; an unknown label falls back
 * to UTF-8 and invalid bytes become U+FFFD. Decoding uses iconv-lite because Node 20's
 * TextDecoder reads windows-1252 as ISO-8859-1 (0x93 becomes the C1 control U+0093, not “).
 * Returns the text, without the BOM, and the encoding used: ISO-8859-1 and ASCII labels are
 * read, and reported, as windows-1252.
 */
export function decodeText(body: Uint8Array, label: string | undefined): { text: string; charset: string } {
  const charset = bomEncoding(body) ?? canonicalCharset(label) ?? 'utf-8';
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return { text: iconv.decode(buffer, charset), charset };
}

/** The name an encoding label is decoded under, or undefined when it is not supported. */
export function canonicalCharset(label: string | undefined): string | undefined {
  if (label === undefined) return undefined;
  const l = label.trim().toLowerCase();
  if (WINDOWS_1252.has(l)) return 'windows-1252';
  if (UTF8.has(l)) return 'utf-8';
  return l !== '' && iconv.encodingExists(l) ? l : undefined;
}

function bomEncoding(b: Uint8Array): string | undefined {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8';
  if (b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  if (b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  return undefined;
}
