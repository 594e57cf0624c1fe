import { Parser } from 'htmlparser2';
import { TextBuilder, oneLine } from './text-builder.js';
import type { PageText } from './text-builder.js';

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const ATX = /^ {0,3}(#{1,6})(?:[ \t]|$)/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const REF_DEFINITION = /^ {0,3}\[[^\]]+\]:[ \t]*\S+/;
// Tested on the trimmed line.
const TABLE_SEPARATOR = /^\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?$/;
const BLOCKQUOTE = /^ {0,3}(?:>[ \t]?)+/;
const LIST_ITEM = /^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?/;

/**
 * Turns Markdown into plain text: heading markers, emphasis, link and image syntax (keeping the
 * link text and image alt text), list markers, blockquote markers, table pipes, HTML tags and
 * comments are removed; code blocks are kept as text; soft-wrapped paragraph lines are joined.
 * The title is the front matter's `title:`, else the first level-1 heading, else the first
 * heading. Never throws. Deterministic.
 */
export function markdownToText(md: string): PageText {
  const lines = md.split(/\r\n|\r|\n/);
  const b = new TextBuilder();
  let frontTitle: string | undefined;
  let i = 0;

  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((l, k) => k > 0 && (l.trim() === '---' || l.trim() === '...'));
    if (end > 0) {
      for (const l of lines.slice(1, end)) {
        const m = /^title:\s*(.*)$/.exec(l);
        if (m?.[1] !== undefined) frontTitle = oneLine(m[1].replace(/^(["'])(.*)\1$/, '$2'));
      }
      i = end + 1;
    }
  }

  let fence: string | undefined;
  let inComment = false;
  let inParagraph = false;
  const headings: Array<{ level: number; text: string }> = [];

  const block = (text: string): void => {
    b.lineBreak();
    b.text(text);
  };
  const heading = (level: number, text: string): void => {
    b.lineBreak();
    b.startHeading(level);
    b.text(inline(text));
    b.endHeading();
    b.lineBreak();
    headings.push({ level, text: oneLine(inline(text)) });
    inParagraph = false;
  };

  for (; i < lines.length; i++) {
    let line = lines[i] ?? '';
    if (fence !== undefined) {
      const close = FENCE.exec(line);
      if (close?.[1] !== undefined && close[1][0] === fence[0] && close[1].length >= fence.length && line.trim() === close[1]) {
        fence = undefined;
        b.lineBreak();
      } else block(line);
      continue;
    }
    if (line.includes('<!--') || inComment) {
      const stripped = stripComments(line, inComment);
      line = stripped.line;
      inComment = stripped.open;
      if (line.trim() === '' && (inComment || stripped.removed)) continue;
    }
    const open = FENCE.exec(line);
    if (open?.[1] !== undefined) {
      fence = open[1];
      b.lineBreak();
      inParagraph = false;
      continue;
    }
    if (line.trim() === '') {
      b.lineBreak();
      inParagraph = false;
      continue;
    }
    const quote = BLOCKQUOTE.exec(line);
    if (quote !== null) line = line.slice(quote[0].length);

    const atx = ATX.exec(line);
    if (atx?.[1] !== undefined) {
      heading(atx[1].length, atxText(line.slice(atx[0].length)));
      continue;
    }
    const next = lines[i + 1];
    const setext = next === undefined ? null : SETEXT.exec(next);
    if (!inParagraph && setext?.[1] !== undefined && !LIST_ITEM.test(line) && !RULE.test(line)) {
      heading(setext[1].startsWith('=') ? 1 : 2, line.trim());
      i++;
      continue;
    }
    if (RULE.test(line) || REF_DEFINITION.test(line) || TABLE_SEPARATOR.test(line.trim())) {
      b.lineBreak();
      inParagraph = false;
      continue;
    }
    if (line.trimStart().startsWith('|')) {
      const cells = line.trim().replace(/^\||\|$/g, '').split(/(?<!\\)\|/);
      block(cells.map((c) => inline(c)).join(' '));
      b.lineBreak();
      inParagraph = false;
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item !== null) {
      block(inline(line.slice(item[0].length)));
      inParagraph = true;
    } else if (inParagraph) {
      // A soft-wrapped line continues its paragraph: a sentence must not be cut at the wrap.
      b.space();
      b.text(inline(line));
    } else {
      block(inline(line));
      inParagraph = true;
    }
    if (line.endsWith('  ') || line.endsWith('\\')) b.lineBreak();
  }

  const { text, headings: recorded } = b.finish();
  const title = frontTitle || headings.find((h) => h.level === 1)?.text || headings[0]?.text || '';
  return { text, title, headings: recorded };
}

/** An ATX heading's text without its optional closing run of `#`. */
function atxText(rest: string): string {
  const t = rest.trim();
  let end = t.length;
  while (end > 0 && t[end - 1] === '#') end--;
  if (end === 0) return '';
  return end < t.length && (t[end - 1] === ' ' || t[end - 1] === '\t') ? t.slice(0, end).trim() : t;
}

/** Removes HTML comments from a line; `open` says whether one is still open at its end. */
function stripComments(line: string, inComment: boolean): { line: string; open: boolean; removed: boolean } {
  const kept: string[] = [];
  let at = 0;
  let open = inComment;
  for (;;) {
    if (open) {
      const end = line.indexOf('-->', at);
      if (end < 0) return { line: kept.join(''), open: true, removed: true };
      at = end + 3;
      open = false;
    }
    const start = line.indexOf('<!--', at);
    if (start < 0) {
      kept.push(line.slice(at));
      return { line: kept.join(''), open: false, removed: true };
    }
    kept.push(line.slice(at, start));
    at = start + 4;
    open = true;
  }
}

// Backslash escapes are swapped for private-use characters while the syntax is stripped, so an
// escaped `\*` is never read as emphasis, then swapped back.
const ESCAPE_BASE = 0xe000;
const ESCAPED = /\\([!-/:-@[-`{-~])/g;
const PRIVATE = /[\uE000-\uE07F]/g;

/** Strips inline Markdown syntax from one line; code spans are kept verbatim. */
function inline(s: string): string {
  const out: string[] = [];
  const code = /(`+)(.{1,2000}?)\1/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = code.exec(s)) !== null) {
    out.push(stripSyntax(s.slice(last, m.index)), (m[2] ?? '').trim());
    last = m.index + m[0].length;
  }
  out.push(stripSyntax(s.slice(last)));
  return out.join('');
}

function stripSyntax(s: string): string {
  let t = s.replace(ESCAPED, (_all, c: string) => String.fromCharCode(ESCAPE_BASE + c.charCodeAt(0)));
  t = t
    .replace(/!\[([^[\]]*)\]\((?:[^()]|\([^()]*\))*\)/g, '$1')
    .replace(/!\[([^[\]]*)\]\[[^[\]]*\]/g, '$1')
    .replace(/\[\^[^[\]]+\]/g, '')
    .replace(/\[([^[\]]+)\]\((?:[^()]|\([^()]*\))*\)/g, '$1')
    .replace(/\[([^[\]]+)\]\[[^[\]]*\]/g, '$1')
    .replace(/<((?:https?|mailto):[^<>\s]+)>/g, '$1');
  for (let k = 0; k < 3; k++) {
    const before = t;
    t = t
      .replace(/(\*{1,3}|~~)(?=\S)(.{1,500}?)(?<=\S)\1/g, '$2')
      .replace(/(?<![\p{L}\p{N}_])(_{1,3})(?=\S)(.{1,500}?)(?<=\S)\1(?![\p{L}\p{N}_])/gu, '$2');
    if (t === before) break;
  }
  if (t.includes('<') || t.includes('&')) t = htmlInline(t);
  return t.replace(PRIVATE, (c) => String.fromCharCode(c.charCodeAt(0) - ESCAPE_BASE));
}

/** Removes inline HTML tags and decodes entities, as a Markdown renderer would. */
function htmlInline(s: string): string {
  const parts: string[] = [];
  let skip = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === 'script' || name === 'style') skip++;
        if (name === 'br') parts.push(' ');
      },
      onclosetag(name) {
        if (name === 'script' || name === 'style') skip--;
      },
      ontext(data) {
        if (skip === 0) parts.push(data);
      },
    },
    { decodeEntities: true },
  );
  parser.write(s);
  parser.end();
  return parts.join('');
}
