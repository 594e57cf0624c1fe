import type * as PdfJsModule from 'pdfjs-dist/legacy/build/pdf.mjs';
import { PageTextError } from './errors.js';
import { TextBuilder, oneLine } from './text-builder.js';
import type { PageText } from './text-builder.js';

export interface PdfOptions {
  /** Pages read at most; the rest of a longer document is ignored. */
  maxPages?: number;
  /** Characters of text kept at most; reading stops once they are reached. */
  maxChars?: number;
  /** Checked between pages: aborting rejects with the signal's reason. */
  signal?: AbortSignal;
}

const DEFAULT_MAX_PAGES = 200;
const DEFAULT_MAX_CHARS = 2_000_000;

// The fields of pdf.js's TextItem this module reads (TextMarkedContent items have no `str`).
interface TextItemLike {
  str: string;
  hasEOL: boolean;
  transform: number[];
  height: number;
}

function isTextItem(item: object): item is TextItemLike {
  return 'str' in item && typeof (item as { str: unknown }).str === 'string';
}

type PdfJs = typeof PdfJsModule;
let pdfjs: Promise<PdfJs> | undefined;

/** pdf.js is large: it is loaded on the first PDF, not when this package is imported. */
function loadPdfJs(): Promise<PdfJs> {
  pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  return pdfjs;
}

/**
 * The text of a PDF, through Mozilla's pdf.js (the legacy build, which runs on Node 20), as a
 * {@link PageText}: one paragraph per line — lines of the PDF that follow each other closely are
 * joined with a space, a vertical gap wider than a line starts a new paragraph. The title is the
 * document's Title metadata, else its first line. Scripting (`isEvalSupported`), font loading and
 * system fonts are off: a PDF is data here, nothing in it runs.
 *
 * Rejects with a {@link PageTextError}: `page_encrypted` for a password-protected PDF,
 * `page_malformed` for bytes pdf.js cannot read as a PDF.
 */
export async function pdfToText(data: Uint8Array, opts: PdfOptions = {}): Promise<PageText> {
  const maxPages = opts.maxPages ?? DEFAULT_MAX_PAGES;
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const { getDocument } = await loadPdfJs();
  // pdf.js transfers (detaches) the buffer it is given: hand it a copy.
  const task = getDocument({
    data: new Uint8Array(data),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
    verbosity: 0,
  });
  const onAbort = (): void => void task.destroy();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let doc;
    try {
      doc = await task.promise;
    } catch (err) {
      opts.signal?.throwIfAborted();
      const name = err instanceof Error ? err.name : '';
      if (name === 'PasswordException') throw new PageTextError('page_encrypted', 'the PDF is password-protected', { cause: err });
      throw new PageTextError('page_malformed', `not a readable PDF (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
    const builder = new TextBuilder();
    let chars = 0;
    for (let n = 1; n <= Math.min(doc.numPages, maxPages) && chars < maxChars; n++) {
      opts.signal?.throwIfAborted();
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      let lastY: number | undefined;
      let lineHeight = 0;
      for (const item of content.items) {
        if (!isTextItem(item)) continue;
        const y = item.transform[5] ?? 0;
        if (lastY !== undefined && item.str.trim() !== '') {
          const gap = Math.abs(lastY - y);
          // A gap of more than ~1.6 lines (or a move up the page: a new column) ends a paragraph.
          if (gap > 1.6 * Math.max(lineHeight, 1) || y > lastY + 1) builder.lineBreak();
          else builder.space();
        }
        builder.text(item.str);
        chars += item.str.length;
        if (item.str.trim() !== '') {
          lastY = y;
          lineHeight = item.height || lineHeight;
        }
        if (item.hasEOL) builder.space();
      }
      builder.lineBreak();
      page.cleanup();
    }
    const { text, headings } = builder.finish();
    const meta = await doc.getMetadata().catch(() => undefined);
    const info = meta?.info as { Title?: unknown } | undefined;
    const title = typeof info?.Title === 'string' && info.Title.trim() !== '' ? oneLine(info.Title) : oneLine(/[^\n]*/.exec(text)?.[0] ?? '');
    return { text, title, headings };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await task.destroy();
  }
}
