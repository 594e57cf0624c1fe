import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { documentUrl, extractTitle, listDocuments, sampleCorpusDir } from './documents.js';
import { CorpusError } from './errors.js';

// The evaluation corpus lives beside the checkout (../shared), never inside it.
const FACTBOOK_DIR = process.env['FACTBOOK_DIR'] ?? fileURLToPath(new URL('../../../../shared/corpus/factbook/', import.meta.url));
const HTML = 'text/html; charset=utf-8';
const MARKDOWN = 'text/markdown; charset=utf-8';
const TEXT = 'text/plain; charset=utf-8';

async function tempTree(files: Record<string, string>): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), 'corpus-docs-'));
  for (const [path, content] of Object.entries(files)) {
    const full = join(base, ...path.split('/'));
    await mkdir(join(full, '..'), { recursive: true });
    await writeFile(full, content);
  }
  return base;
}

describe('listDocuments', { timeout: 30_000 }, () => {
  it('lists the sample corpus sorted, with types, titles, sizes and times', { timeout: 10_000 }, async () => {
    const docs = await listDocuments(sampleCorpusDir());
    assert.ok(docs.length >= 36);
    const paths = docs.map((d) => d.path);
    assert.deepEqual(paths, [...paths].sort());
    for (const doc of docs) {
      assert.ok(isAbsolute(doc.absolutePath) && existsSync(doc.absolutePath), doc.absolutePath);
      assert.ok(doc.bytes > 0 && doc.mtimeMs > 0);
      assert.ok(doc.title.length > 0 && !/&[a-z]+;/.test(doc.title), `${doc.path}: ${doc.title}`);
      const expected = doc.path.endsWith('.html') ? HTML : doc.path.endsWith('.md') ? MARKDOWN : doc.path.endsWith('.pdf') ? 'application/pdf' : TEXT;
      assert.equal(doc.contentType, expected);
    }
    const solar = docs.find((d) => d.path === 'energy/solar-capacity-2023.html');
    assert.equal(solar?.title, 'Solar Power Capacity Reaches a New Record in 2023 | National Energy Statistics Office');
    assert.ok(!paths.includes('index.json'));
  });

  it('skips dotfiles, other extensions, large files and symlinks leaving the folder', { timeout: 10_000 }, async (t) => {
    const base = await tempTree({
      'outside.html': '<title>Outside</title>',
      'outside-dir/x.html': '<title>X</title>',
      'root/a.html': '<html><head><title>A &amp; B &ndash;\n  C</title></head></html>',
      'root/upper.HTM': '<h1>Upper <em>case</em></h1>',
      'root/sub/b.md': 'Intro line\n\n# Heading B\n\ntext',
      'root/sub/front.markdown': '---\ntitle: "From front matter"\n---\nno heading here\n',
      'root/c.txt': '\n\n  First line of C  \nsecond\n',
      'root/untitled.html': '<p>no title</p>',
      'root/.hidden.html': '<title>Hidden</title>',
      'root/.git/config.txt': 'secret',
      'root/data.json': '{}',
      'root/big.txt': 'x'.repeat(200),
    });
    t.after(() => rm(base, { recursive: true, force: true }));
    const root = join(base, 'root');
    await symlink(join(base, 'outside.html'), join(root, 'link-out.html'));
    await symlink(join(base, 'outside-dir'), join(root, 'dir-out'));
    await symlink(join(root, 'a.html'), join(root, 'link-in.html'));
    await symlink(join(root, '.hidden.html'), join(root, 'link-hidden.html'));
    await symlink(root, join(root, 'sub', 'loop'));
    await symlink(join(root, 'missing.html'), join(root, 'dangling.html'));

    const docs = await listDocuments(root, { maxFileBytes: 100 });
    assert.deepEqual(
      docs.map((d) => d.path),
      ['a.html', 'c.txt', 'link-in.html', 'sub/b.md', 'sub/front.markdown', 'untitled.html', 'upper.HTM'],
    );
    const title = (path: string): string | undefined => docs.find((d) => d.path === path)?.title;
    assert.equal(title('a.html'), 'A & B \u2013 C');
    assert.equal(title('link-in.html'), 'A & B \u2013 C');
    assert.equal(title('upper.HTM'), 'Upper case');
    assert.equal(title('sub/b.md'), 'Heading B');
    assert.equal(title('sub/front.markdown'), 'From front matter');
    assert.equal(title('c.txt'), 'First line of C');
    assert.equal(title('untitled.html'), 'untitled');
    assert.equal(docs.find((d) => d.path === 'link-in.html')?.absolutePath, join(root, 'link-in.html'));
  });

  it('stops with an error beyond maxFiles', { timeout: 5_000 }, async (t) => {
    const base = await tempTree({ 'a.txt': 'a', 'b.txt': 'b', 'c/d.txt': 'd' });
    t.after(() => rm(base, { recursive: true, force: true }));
    assert.equal((await listDocuments(base, { maxFiles: 3 })).length, 3);
    await assert.rejects(listDocuments(base, { maxFiles: 2 }), (err: unknown) => {
      assert.ok(err instanceof CorpusError);
      assert.equal(err.code, 'CORPUS_ERR_TOO_MANY_FILES');
      return true;
    });
  });

  it('rejects a folder that does not exist or is a file', { timeout: 5_000 }, async (t) => {
    const base = await tempTree({ 'file.txt': 'x' });
    t.after(() => rm(base, { recursive: true, force: true }));
    for (const dir of [join(base, 'nope'), join(base, 'file.txt')]) {
      await assert.rejects(listDocuments(dir), { name: 'CorpusError', code: 'CORPUS_ERR_NOT_A_DIRECTORY' });
    }
  });

  const noFactbook = existsSync(FACTBOOK_DIR) ? false : `${FACTBOOK_DIR} is not on this machine`;
  it('lists the 2,005-page factbook folder quickly when it exists', { timeout: 30_000, skip: noFactbook }, async (t) => {
    const started = performance.now();
    const docs = await listDocuments(FACTBOOK_DIR);
    const ms = performance.now() - started;
    t.diagnostic(`listed ${docs.length} documents in ${ms.toFixed(0)} ms`);
    assert.ok(docs.length >= 2000, `${docs.length} documents`);
    assert.ok(docs.every((d) => d.contentType === HTML && d.title !== ''));
  });
});

describe('extractTitle', { timeout: 5_000 }, () => {
  it('reads HTML, Markdown and text titles', { timeout: 1_000 }, () => {
    assert.equal(extractTitle('<TITLE lang="en">Caf&eacute; &#8211; &#x20AC;5</TITLE>', HTML), 'Caf&eacute; \u2013 \u20AC5');
    assert.equal(extractTitle('<title></title><h1>Fallback</h1>', HTML), 'Fallback');
    assert.equal(extractTitle('<p>none</p>', HTML), undefined);
    assert.equal(extractTitle('\uFEFF# Title #\n', MARKDOWN), 'Title');
    assert.equal(extractTitle('#hashtag\nplain first line', MARKDOWN), '#hashtag');
    assert.equal(extractTitle('\n\n', TEXT), undefined);
    assert.equal(extractTitle('x'.repeat(500), TEXT)?.length, 300);
  });
});

describe('documentUrl', { timeout: 5_000 }, () => {
  it('joins a base URL and a path, encoding each segment', { timeout: 1_000 }, () => {
    assert.equal(documentUrl('http://127.0.0.1:8010', 'energy/solar.html'), 'http://127.0.0.1:8010/energy/solar.html');
    assert.equal(documentUrl('http://127.0.0.1:8010/', '/energy/solar.html'), 'http://127.0.0.1:8010/energy/solar.html');
    assert.equal(documentUrl('http://h:1/corpus', 'a b/c#d?.html'), 'http://h:1/corpus/a%20b/c%23d%3F.html');
    assert.equal(documentUrl('http://h:1/corpus/?q=1#f', 'x%y/é.md'), 'http://h:1/corpus/x%25y/%C3%A9.md');
  });

  it('refuses paths that would escape and bases that are not http', { timeout: 1_000 }, () => {
    for (const path of ['../x.html', 'a/../../x.html', 'a//b.html', './a.html', '']) {
      assert.throws(() => documentUrl('http://h/', path), TypeError, path);
    }
    assert.throws(() => documentUrl('file:///etc/', 'passwd.txt'), TypeError);
    assert.throws(() => documentUrl('not a url', 'a.html'), TypeError);
  });
});
