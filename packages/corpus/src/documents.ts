import { open, readdir, realpath, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorpusError } from './errors.js';

/** One page of a corpus folder, as listed by {@link listDocuments}. */
export interface CorpusDocument {
  /** Relative to the corpus folder, with forward slashes, e.g. `energy/solar-capacity-2023.html`. */
  path: string;
  absolutePath: string;
  contentType: string;
  title: string;
  bytes: number;
  mtimeMs: number;
}

export interface ListDocumentsOptions {
  /** Listing fails once more matching files than this are found. Default 10,000. */
  maxFiles?: number;
  /** Larger files are left out of the listing. Default 5 MiB. */
  maxFileBytes?: number;
}

export const DEFAULT_MAX_FILES = 10_000;
export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;

/** Only the head of a file is read for its title; a <title> beyond this is not looked for. */
const TITLE_SCAN_BYTES = 64 * 1024;
const MAX_TITLE_CHARS = 300;
const READ_CONCURRENCY = 16;

const CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['.html', 'text/html; charset=utf-8'],
  ['.htm', 'text/html; charset=utf-8'],
  ['.md', 'text/markdown; charset=utf-8'],
  ['.markdown', 'text/markdown; charset=utf-8'],
  ['.txt', 'text/plain; charset=utf-8'],
  ['.pdf', 'application/pdf'],
]);

/** The content type a corpus file is served with, or undefined when its extension is not served. */
export function contentTypeFor(path: string): string | undefined {
  return CONTENT_TYPES.get(extname(path).toLowerCase());
}

/** Absolute path of this package's own sample corpus (`packages/corpus/sample`). */
export function sampleCorpusDir(): string {
  // Compiled to dist/documents.js, so the sample folder is one level up.
  return fileURLToPath(new URL('../sample', import.meta.url));
}

/**
 * True when `target` (a real path) lies strictly inside `rootReal` (also real), no segment of
 * its path below the root starts with a dot, and its extension is one the corpus serves.
 * The listing and the server share this rule so that they never disagree.
 */
export function isServablePath(rootReal: string, target: string): boolean {
  const rel = relative(rootReal, target);
  if (rel === '' || isAbsolute(rel)) return false;
  const parts = rel.split(sep);
  if (parts.some((part) => part === '..' || part.startsWith('.'))) return false;
  return contentTypeFor(target) !== undefined;
}

interface Candidate {
  path: string;
  absolutePath: string;
  /** Where the bytes are read from (the symlink's target for a link). */
  readPath: string;
  contentType: string;
}

/**
 * Lists the .html/.htm/.md/.markdown/.txt/.pdf files under `dir`, recursively, sorted by path.
 * Dotfiles and dot-folders are skipped, as are symlinks resolving outside `dir` and files
 * larger than `maxFileBytes`. Only the first 64 KiB of each file is read, for its title.
 *
 * Rejects with CORPUS_ERR_NOT_A_DIRECTORY when `dir` is not a readable folder and with
 * CORPUS_ERR_TOO_MANY_FILES as soon as more than `maxFiles` files match.
 */
export async function listDocuments(dir: string, opts: ListDocumentsOptions = {}): Promise<CorpusDocument[]> {
  const maxFiles = opts.maxFiles ?? DEFAULT_MAX_FILES;
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const root = resolve(dir);
  const rootReal = await realDirectory(root);

  const candidates: Candidate[] = [];
  const visited = new Set<string>([rootReal]);
  // Folders are walked one after another: a corpus is a few thousand files, and a bounded
  // walk keeps file-descriptor use flat; the per-file reads below run in parallel.
  const pending: string[] = [''];
  while (pending.length > 0) {
    const relDir = pending.shift() ?? '';
    const entries = await readdir(join(root, ...splitRel(relDir)), { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const rel = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
      const absolutePath = join(root, ...splitRel(rel));
      let readPath = absolutePath;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await realpath(absolutePath).catch(() => undefined);
        if (target === undefined) continue;
        const targetStat = await stat(target).catch(() => undefined);
        if (targetStat === undefined) continue;
        isDir = targetStat.isDirectory();
        isFile = targetStat.isFile();
        if (isDir) {
          if (!isInside(rootReal, target) || visited.has(target)) continue;
          visited.add(target);
        } else if (!isServablePath(rootReal, target)) {
          continue;
        }
        readPath = target;
      }
      if (isDir) {
        pending.push(rel);
        continue;
      }
      if (!isFile) continue;
      const contentType = contentTypeFor(entry.name);
      if (contentType === undefined) continue;
      candidates.push({ path: rel, absolutePath, readPath, contentType });
      if (candidates.length > maxFiles) {
        throw new CorpusError(
          'CORPUS_ERR_TOO_MANY_FILES',
          `corpus: more than ${maxFiles} documents under the corpus folder; raise maxFiles or point at a smaller folder`,
        );
      }
    }
  }

  const documents: (CorpusDocument | undefined)[] = new Array<CorpusDocument | undefined>(candidates.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < candidates.length) {
      const index = next++;
      const candidate = candidates[index];
      if (candidate !== undefined) documents[index] = await describe(candidate, maxFileBytes);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, candidates.length) }, worker));

  return documents
    .filter((doc): doc is CorpusDocument => doc !== undefined)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function realDirectory(root: string): Promise<string> {
  try {
    const real = await realpath(root);
    if ((await stat(real)).isDirectory()) return real;
  } catch (err) {
    throw new CorpusError('CORPUS_ERR_NOT_A_DIRECTORY', 'corpus: the corpus folder cannot be read', { cause: err });
  }
  throw new CorpusError('CORPUS_ERR_NOT_A_DIRECTORY', 'corpus: the corpus path is not a folder');
}

function splitRel(rel: string): string[] {
  return rel === '' ? [] : rel.split('/');
}

function isInside(rootReal: string, target: string): boolean {
  const rel = relative(rootReal, target);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** Reads the size, modification time and title of one file; undefined when it is skipped. */
async function describe(candidate: Candidate, maxFileBytes: number): Promise<CorpusDocument | undefined> {
  let handle;
  try {
    handle = await open(candidate.readPath, 'r');
  } catch {
    // Removed or unreadable since the folder was read: leave it out rather than fail the listing.
    return undefined;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > maxFileBytes) return undefined;
    const length = Math.min(info.size, TITLE_SCAN_BYTES);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = length > 0 ? await handle.read(buffer, 0, length, 0) : { bytesRead: 0 };
    const head = buffer.subarray(0, bytesRead).toString('utf8');
    return {
      path: candidate.path,
      absolutePath: candidate.absolutePath,
      contentType: candidate.contentType,
      title: extractTitle(head, candidate.contentType) ?? fallbackTitle(candidate.path),
      bytes: info.size,
      mtimeMs: info.mtimeMs,
    };
  } finally {
    await handle.close();
  }
}

/**
 * The title of a page from the start of its text: the HTML <title> (else the first <h1>), the
 * first Markdown `# ` heading (else a front-matter `title:`, else the first line), or the first
 * non-empty line of plain text. Undefined when there is none.
 */
export function extractTitle(text: string, contentType: string): string | undefined {
  // A PDF's title is in its metadata, which only a PDF reader gets at: the path names it here.
  if (!contentType.startsWith('text/')) return undefined;
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (contentType.startsWith('text/html')) {
    const inner = (pattern: RegExp): string | undefined =>
      clean(decodeEntities((pattern.exec(body)?.[1] ?? '').replace(/<[^>]*>/g, ' ')));
    return inner(/<title\b[^>]*>([\s\S]*?)<\/title\s*>/i) ?? inner(/<h1\b[^>]*>([\s\S]*?)<\/h1\s*>/i);
  }
  if (contentType.startsWith('text/markdown')) {
    let rest = body;
    let frontTitle: string | undefined;
    const front = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(body);
    if (front) {
      rest = body.slice(front[0].length);
      const titleLine = /^title:\s*(.+)$/m.exec(front[1] ?? '');
      frontTitle = clean((titleLine?.[1] ?? '').replace(/^(["'])(.*)\1$/, '$2'));
    }
    const heading = /^#[ \t]+(.+?)[ \t#]*$/m.exec(rest);
    return clean(heading?.[1] ?? '') ?? frontTitle ?? firstLine(rest);
  }
  return firstLine(body);
}

function firstLine(text: string): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    const title = clean(line);
    if (title !== undefined) return title;
  }
  return undefined;
}

function clean(text: string): string | undefined {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  if (collapsed === '') return undefined;
  return collapsed.length > MAX_TITLE_CHARS ? `${collapsed.slice(0, MAX_TITLE_CHARS - 1)}…` : collapsed;
}

function fallbackTitle(path: string): string {
  const name = basename(path);
  return name.slice(0, name.length - extname(name).length) || name;
}

const NAMED_ENTITIES: ReadonlyMap<string, string> = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
  ['nbsp', '\u00A0'],
  ['ndash', '\u2013'],
  ['mdash', '\u2014'],
  ['hellip', '\u2026'],
  ['euro', '\u20AC'],
  ['pound', '\u00A3'],
  ['deg', '\u00B0'],
  ['rsquo', '\u2019'],
  ['lsquo', '\u2018'],
  ['rdquo', '\u201D'],
  ['ldquo', '\u201C'],
]);

/** Decodes the character references found in titles; unknown named ones are left as they are. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES.get(ref.toLowerCase()) ?? whole;
  });
}

/**
 * The URL of a corpus document under a corpus server's base URL: each path segment is
 * percent-encoded and the base's own path is kept (`http://h/corpus` + `a b/c.html` →
 * `http://h/corpus/a%20b/c.html`). Throws a TypeError for a base that is not http(s) or a
 * path with empty, `.` or `..` segments.
 */
export function documentUrl(baseUrl: string, path: string): string {
  const base = new URL(baseUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TypeError('corpus: the base URL must be http or https');
  }
  const segments = (path.startsWith('/') ? path.slice(1) : path).split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new TypeError('corpus: a document path must be relative, without empty, "." or ".." segments');
  }
  const prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  return `${base.origin}${prefix}${segments.map(encodeURIComponent).join('/')}`;
}
