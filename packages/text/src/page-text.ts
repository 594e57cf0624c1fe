import { htmlToText } from './html.js';
import { markdownToText } from './markdown.js';
import { oneLine } from './text-builder.js';
import type { PageText } from './text-builder.js';

/**
 * The text of a fetched body by its Content-Type (parameters such as `charset` are ignored):
 * text/html and application/xhtml+xml → {@link htmlToText}; text/markdown (and text/x-markdown)
 * → {@link markdownToText}; text/plain and any other text/* → the body as is, titled by its
 * first non-blank line. An empty content type is read as HTML when the body looks like HTML,
 * else as plain text. Throws a TypeError for any other type (PDF text extraction is not here).
 */
export function pageText(body: string, contentType: string): PageText {
  const mime = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (mime === 'text/html' || mime === 'application/xhtml+xml') return htmlToText(body);
  if (mime === 'text/markdown' || mime === 'text/x-markdown') return markdownToText(body);
  if (mime === '') return /^\s*<(?:!doctype\s+html|html|head|body)\b/i.test(body) ? htmlToText(body) : plainText(body);
  if (mime.startsWith('text/')) return plainText(body);
  throw new TypeError(`text: unsupported content type ${JSON.stringify(mime)}`);
}

function plainText(body: string): PageText {
  const first = /\S[^\r\n]*/.exec(body);
  return { text: body, title: first === null ? '' : oneLine(first[0]), headings: [] };
}
