/** A heading found in a page: `offset` is where its text starts in {@link PageText.text}. */
export interface Heading {
  offset: number;
  level: number;
  text: string;
}

/**
 * The readable text of a page. `text` has one block (paragraph, list item, heading, table row…)
 * per line, no empty lines, and single spaces inside a line; the same input always gives the same
 * text, so it can be hashed.
 */
export interface PageText {
  text: string;
  title: string;
  headings: Heading[];
  /** HTML tables with data rows, as cell texts: each row is one line of `text` (its non-empty cells joined by spaces). */
  tables?: TableText[];
}

/** A table's caption, header row (the first row when it has only `th` cells) and data rows, as cell texts. */
export interface TableText {
  caption: string;
  headers: string[];
  rows: string[][];
}

/** Soft hyphens and zero-width characters: invisible, and never part of what a reader quotes. */
export const INVISIBLE_CHARS = /[\u00AD\u200B-\u200D\u2060\uFEFF]/g;

/**
 * Builds line-oriented text from a stream of words and block boundaries: whitespace runs inside a
 * line become one space, block boundaries become one line break, and lines are never empty or
 * padded. Headings are recorded at the offset of their first word.
 */
export class TextBuilder {
  private readonly parts: string[] = [];
  private length = 0;
  private pendingSpace = false;
  private pendingBreak = false;
  private readonly headings: Heading[] = [];
  private heading: { level: number; offset: number | undefined; parts: string[] } | undefined;

  /** Appends text; whitespace at either end only separates it from its neighbours. */
  text(s: string): void {
    const clean = s.replace(INVISIBLE_CHARS, '');
    const words = /\S+/g;
    let last = 0;
    let m: RegExpExecArray | null;
    while ((m = words.exec(clean)) !== null) {
      if (m.index > last) this.pendingSpace = true;
      this.word(m[0]);
      last = m.index + m[0].length;
    }
    if (last < clean.length) this.pendingSpace = true;
  }

  /** Separates what follows as if by whitespace (table cells, for instance). */
  space(): void {
    this.pendingSpace = true;
  }

  /** Ends the current line; consecutive breaks collapse into one. */
  lineBreak(): void {
    this.pendingBreak = true;
  }

  startHeading(level: number): void {
    if (this.heading === undefined) this.heading = { level, offset: undefined, parts: [] };
  }

  endHeading(): void {
    const h = this.heading;
    if (h === undefined) return;
    this.heading = undefined;
    if (h.offset !== undefined) this.headings.push({ offset: h.offset, level: h.level, text: h.parts.join('') });
  }

  finish(): { text: string; headings: Heading[] } {
    this.endHeading();
    return { text: this.parts.join(''), headings: this.headings };
  }

  private word(w: string): void {
    let sep = '';
    if (this.length > 0) {
      if (this.pendingBreak) sep = '\n';
      else if (this.pendingSpace) sep = ' ';
    }
    this.pendingBreak = false;
    this.pendingSpace = false;
    const h = this.heading;
    if (h !== undefined) {
      if (h.offset === undefined) h.offset = this.length + sep.length;
      else if (sep !== '') h.parts.push(' ');
      h.parts.push(w);
    }
    if (sep !== '') this.parts.push(sep);
    this.parts.push(w);
    this.length += sep.length + w.length;
  }
}

/** Collapses whitespace and drops invisible characters, for titles and other one-line labels. */
export function oneLine(s: string): string {
  return s.replace(INVISIBLE_CHARS, '').replace(/\s+/g, ' ').trim();
}
