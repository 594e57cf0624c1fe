import { PageTextError } from './errors.js';
import { htmlToText } from './html.js';
import { markdownToText } from './markdown.js';
import { oneLine } from './text-builder.js';
import type { PageText } from './text-builder.js';
import { pdfToText, type PdfOptions } from './pdf.js';

/**
 * The text of a fetched body by its Content-Type (parameters such as `charset` are ignored):
 * text/html and application/xhtml+xml → {@link htmlToText}; text/markdown (and text/x-markdown)
 * → {@link markdownToText}; text/plain and any other text/* → the body as is, titled by its
 * first non-blank line. An empty content type is read as HTML when the body looks like HTML,
 * else as plain text. Throws a {@link PageTextError} (`page_unsupported_type`) for any other type;
 * PDFs are read by {@link readPage}.
 */
export function pageText(body: string, contentType: string): PageText {
  const mime = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (mime === 'text/html' || mime === 'application/xhtml+xml') return htmlToText(body);
  if (mime === 'text/markdown' || mime === 'text/x-markdown') return markdownToText(body);
  if (mime === '') return /^\s*<(?:!doctype\s+html|html|head|body)\b/i.test(body) ? htmlToText(body) : plainText(body);
  if (mime.startsWith('text/')) return plainText(body);
  throw new PageTextError('page_unsupported_type', `unsupported content type ${JSON.stringify(mime)}`);
}

/** What {@link readPage} needs of a fetched page (safe-fetch's FetchedPage has these fields). */
export interface FetchedBody {
  /** The raw bytes, after content decoding. */
  body: Uint8Array;
  /** The body decoded with its charset; empty for types that are not text. */
  text: string;
  /** The MIME type ("application/pdf", "text/html"); parameters are ignored. */
  contentType: string;
}

const PDF_MAGIC = '%PDF-';

/**
 * The text of a fetched page, whatever its type: PDFs (by type, or by their `%PDF-` signature when
 * served as something else) through {@link pdfToText}, every other type through {@link pageText}.
 * A text body that is mostly control characters — an image or archive served as text/plain — is
 * refused rather than mined for numbers. Rejects with a {@link PageTextError} whose `code` is the
 * reason to report: `page_unsupported_type`, `page_binary`, `page_malformed`, `page_encrypted`.
 */
export async function readPage(page: FetchedBody, opts: PdfOptions = {}): Promise<PageText> {
  const mime = (page.contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (mime === 'application/pdf' || startsWithPdfMagic(page.body)) return pdfToText(page.body, opts);
  if (looksBinary(page.text)) throw new PageTextError('page_binary', `the ${mime || 'untyped'} body is binary, not text`);
  return pageText(page.text, page.contentType);
}

function startsWithPdfMagic(body: Uint8Array): boolean {
  if (body.length < PDF_MAGIC.length) return false;
  for (let i = 0; i < PDF_MAGIC.length; i++) if (body[i] !== PDF_MAGIC.charCodeAt(i)) return false;
  return true;
}

/**
 * True when the first 4,096 characters hold a NUL, or more than 10% control characters other than
 * tab, line feed, form feed and carriage return (or U+FFFD from undecodable bytes).
 */
export function looksBinary(text: string): boolean {
  const head = text.slice(0, 4096);
  if (head.length === 0) return false;
  let odd = 0;
  for (let i = 0; i < head.length; i++) {
    const c = head.charCodeAt(i);
    if (c === 0) return true;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d) || c === 0xfffd || (c >= 0x7f && c < 0xa0)) odd++;
  }
  return odd / head.length > 0.1;
}

/**
 * The page cut to at most `maxChars` characters, at a line break when there is one in the last
 * tenth, so no sentence is cut in half; headings past the cut are dropped.
 */
export function limitText(page: PageText, maxChars: number): PageText {
  if (page.text.length <= maxChars) return page;
  const cut = page.text.lastIndexOf('\n', maxChars);
  const end = cut >= maxChars * 0.9 ? cut : maxChars;
  return { title: page.title, text: page.text.slice(0, end), headings: page.headings.filter((h) => h.offset < end) };
}

function plainText(body: string): PageText {
  const first = /\S[^\r\n]*/.exec(body);
  return { text: body, title: first === null ? '' : oneLine(first[0]), headings: [] };
}
