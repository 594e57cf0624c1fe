// @stats-agent/text: pure functions from page bodies to text, sentences and quantities, and the
// matching that finds a quoted excerpt again in a page. No I/O.
export type { Heading, PageText, TableText } from './text-builder.js';
export { htmlToText } from './html.js';
export { markdownToText } from './markdown.js';
export type { FetchedBody } from './page-text.js';
export { limitText, looksBinary, pageText, readPage } from './page-text.js';
export type { PdfOptions } from './pdf.js';
export { pdfToText } from './pdf.js';
export type { PageTextErrorCode } from './errors.js';
export { PageTextError } from './errors.js';
export type { Sentence } from './sentences.js';
export { splitSentences } from './sentences.js';
export type { Quantity } from './quantities.js';
export { findQuantities } from './quantities.js';
export { parseNumber } from './numbers.js';
export { locateExcerpt, normalizeForMatch } from './match.js';
