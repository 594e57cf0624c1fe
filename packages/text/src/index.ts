// @stats-agent/text: pure functions from page bodies to text, sentences and quantities, and the
// matching that finds a quoted excerpt again in a page. No I/O.
export type { Heading, PageText } from './text-builder.js';
export { htmlToText } from './html.js';
export { markdownToText } from './markdown.js';
export { pageText } from './page-text.js';
export type { Sentence } from './sentences.js';
export { splitSentences } from './sentences.js';
export type { Quantity } from './quantities.js';
export { findQuantities } from './quantities.js';
export { parseNumber } from './numbers.js';
export { locateExcerpt, normalizeForMatch } from './match.js';
