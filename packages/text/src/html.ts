import { Parser } from 'htmlparser2';
import type { Handler } from 'htmlparser2';
import { TextBuilder, oneLine } from './text-builder.js';
import type { PageText, TableText } from './text-builder.js';

// Elements whose whole subtree is not main content. `header` is handled apart: a site header is
// dropped, but a <header> inside <main> or <article> usually holds the article's own title.
const DROPPED = new Set([
  'script', 'style', 'noscript', 'template', 'svg', 'math', 'nav', 'footer', 'aside', 'form',
  'iframe', 'object', 'embed', 'canvas', 'button', 'select', 'textarea', 'dialog', 'head',
]);
const DROPPED_ROLES = new Set(['navigation', 'contentinfo', 'complementary', 'search']);

// Elements that start and end a block of text (a line of output). Everything else is inline.
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'body', 'br', 'caption', 'center', 'dd', 'details',
  'dialog', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure', 'footer', 'h1', 'h2', 'h3',
  'h4', 'h5', 'h6', 'header', 'hgroup', 'hr', 'html', 'legend', 'li', 'main', 'menu', 'nav', 'ol',
  'p', 'pre', 'section', 'summary', 'table', 'tbody', 'tfoot', 'thead', 'tr', 'ul', 'option',
]);
const CELL = new Set(['td', 'th']);
const HEADING = /^h([1-6])$/;

const IN_MAIN = 1;
const IN_ARTICLE = 2;

type Event =
  | { kind: 'text'; scope: number; text: string }
  | { kind: 'break'; scope: number }
  | { kind: 'space'; scope: number }
  | { kind: 'heading-start'; scope: number; level: number }
  | { kind: 'heading-end'; scope: number };

type Rendered = ReturnType<TextBuilder['finish']>;

interface Frame {
  drop: boolean;
  main: boolean;
  article: boolean;
  pre: boolean;
  foreign: boolean;
  title: boolean;
  h1: boolean;
}

/**
 * Extracts the main text of an HTML page. Navigation, headers, footers, asides, forms, scripts,
 * styles and hidden elements are dropped; when the page has a <main> (or, failing that, an
 * <article>) only its content is kept. Block elements become line breaks, inline elements and
 * entities do not, so a sentence split across <strong> or &nbsp; stays one sentence. Never throws:
 * malformed HTML is parsed the way htmlparser2 recovers from it. Deterministic.
 */
export function htmlToText(html: string): PageText {
  const events: Event[] = [];
  const tables: TableText[] = [];
  // Open tables (nested ones too), with the row and cell being read.
  const open: { table: TableText; row?: string[]; cell?: string[]; caption?: string[]; allHeader: boolean }[] = [];
  const stack: Frame[] = [];
  let drop = 0;
  let main = 0;
  let article = 0;
  let pre = 0;
  let foreign = 0;
  let sawMain = false;
  let sawArticle = false;
  let titleParts: string[] | undefined;
  let title: string | undefined;
  let h1Parts: string[] | undefined;
  let firstH1: string | undefined;

  const scope = (): number => (main > 0 ? IN_MAIN : 0) | (article > 0 ? IN_ARTICLE : 0);
  const emit = (e: Event): void => {
    if (drop === 0) events.push(e);
  };

  const handler: Partial<Handler> = {
    onopentag(name, attribs) {
      const role = (attribs.role ?? '').toLowerCase();
      const inContent = main > 0 || article > 0;
      const hidden =
        'hidden' in attribs ||
        /display\s*:\s*none|visibility\s*:\s*hidden/i.test(attribs.style ?? '') ||
        DROPPED_ROLES.has(role) ||
        ((name === 'header' || role === 'banner') && !inContent);
      const dropsHere = DROPPED.has(name) || hidden;
      const frame: Frame = {
        drop: dropsHere,
        main: name === 'main' || role === 'main',
        article: name === 'article',
        pre: name === 'pre',
        foreign: name === 'svg' || name === 'math',
        title: name === 'title' && foreign === 0 && title === undefined && titleParts === undefined,
        h1: name === 'h1' && drop === 0 && !dropsHere && firstH1 === undefined && h1Parts === undefined,
      };
      stack.push(frame);
      if (frame.title) titleParts = [];
      if (frame.h1) h1Parts = [];
      if (drop === 0 && !dropsHere) {
        const t = open.at(-1);
        if (name === 'table') open.push({ table: { caption: '', headers: [], rows: [] }, allHeader: true });
        else if (t && name === 'caption') t.caption = [];
        else if (t && name === 'tr') {
          t.row = [];
          t.allHeader = true;
        } else if (t?.row && CELL.has(name)) {
          t.cell = [];
          if (name === 'td') t.allHeader = false;
        }
      }
      if (BLOCK.has(name)) emit({ kind: 'break', scope: scope() });
      else if (CELL.has(name)) emit({ kind: 'space', scope: scope() });
      if (frame.drop) drop++;
      if (frame.foreign) foreign++;
      if (frame.pre) pre++;
      if (frame.main && drop === 0) {
        main++;
        sawMain = true;
      } else frame.main = false;
      if (frame.article && drop === 0) {
        article++;
        sawArticle = true;
      } else frame.article = false;
      const h = HEADING.exec(name);
      if (h?.[1] !== undefined) emit({ kind: 'heading-start', scope: scope(), level: Number(h[1]) });
    },
    onclosetag(name) {
      const frame = stack.pop();
      if (frame === undefined) return;
      if (HEADING.test(name)) emit({ kind: 'heading-end', scope: scope() });
      if (frame.main) main--;
      if (frame.article) article--;
      if (frame.pre) pre--;
      if (frame.foreign) foreign--;
      if (frame.drop) drop--;
      if (frame.title && titleParts !== undefined) {
        title = oneLine(titleParts.join(''));
        titleParts = undefined;
      }
      if (frame.h1 && h1Parts !== undefined) {
        firstH1 = oneLine(h1Parts.join(''));
        h1Parts = undefined;
      }
      if (BLOCK.has(name)) emit({ kind: 'break', scope: scope() });
      else if (CELL.has(name)) emit({ kind: 'space', scope: scope() });
      const t = open.at(-1);
      if (t && drop === 0 && !frame.drop) {
        if (name === 'table') {
          open.pop();
          if (t.table.rows.length > 0) tables.push(t.table);
        } else if (name === 'caption' && t.caption) {
          t.table.caption = oneLine(t.caption.join(''));
          t.caption = undefined;
        } else if (CELL.has(name) && t.row && t.cell) {
          t.row.push(oneLine(t.cell.join('')));
          t.cell = undefined;
        } else if (name === 'tr' && t.row) {
          if (t.allHeader && t.table.headers.length === 0 && t.table.rows.length === 0) t.table.headers = t.row;
          else if (t.row.some((c) => c !== '')) t.table.rows.push(t.row);
          t.row = undefined;
        }
      }
    },
    ontext(data) {
      titleParts?.push(data);
      if (drop > 0) return;
      h1Parts?.push(data);
      const t = open.at(-1);
      t?.cell?.push(data);
      t?.caption?.push(data);
      if (pre === 0) {
        emit({ kind: 'text', scope: scope(), text: data });
        return;
      }
      // Inside <pre>, the source's line breaks are the text's line breaks.
      const lines = data.split(/\r\n|\r|\n/);
      lines.forEach((line, i) => {
        if (i > 0) emit({ kind: 'break', scope: scope() });
        emit({ kind: 'text', scope: scope(), text: line });
      });
    },
  };

  const parser = new Parser(handler, { decodeEntities: true });
  parser.write(html);
  parser.end();

  let rendered: Rendered = { text: '', headings: [] };
  for (const mask of [sawMain ? IN_MAIN : -1, sawArticle ? IN_ARTICLE : -1, 0]) {
    if (mask < 0) continue;
    rendered = render(events, mask);
    if (rendered.text !== '') break;
  }
  const page: PageText = { text: rendered.text, title: title || firstH1 || '', headings: rendered.headings };
  if (tables.length > 0) page.tables = tables;
  return page;
}

/** Renders the events whose scope includes every bit of `mask` (0 keeps everything). */
function render(events: Event[], mask: number): Rendered {
  const b = new TextBuilder();
  for (const e of events) {
    if ((e.scope & mask) !== mask) continue;
    switch (e.kind) {
      case 'text':
        b.text(e.text);
        break;
      case 'break':
        b.lineBreak();
        break;
      case 'space':
        b.space();
        break;
      case 'heading-start':
        b.startHeading(e.level);
        break;
      case 'heading-end':
        b.endHeading();
        break;
    }
  }
  return b.finish();
}
