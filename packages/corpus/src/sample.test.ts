import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pdfToText } from '@stats-agent/text';
import { listDocuments, sampleCorpusDir } from './documents.js';

interface ManifestEntry {
  path: string;
  title: string;
  topic: string;
  publisher: string;
  domain: string;
}

const TOPICS = ['energy', 'health', 'population', 'climate', 'technology', 'economy'];
const FOOTER = 'Sample page written for the Statistics Agent Team project; figures are illustrative.';
const dir = sampleCorpusDir();

async function manifest(): Promise<ManifestEntry[]> {
  const parsed: unknown = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
  assert.ok(Array.isArray(parsed), 'index.json is an array');
  return parsed.map((entry: unknown, i) => {
    assert.ok(typeof entry === 'object' && entry !== null, `entry ${i} is an object`);
    const record = entry as Record<string, unknown>;
    for (const key of ['path', 'title', 'topic', 'publisher', 'domain']) {
      assert.equal(typeof record[key], 'string', `entry ${i}.${key} is a string`);
      assert.notEqual(record[key], '', `entry ${i}.${key} is not empty`);
    }
    assert.deepEqual(Object.keys(record).sort(), ['domain', 'path', 'publisher', 'title', 'topic']);
    return record as unknown as ManifestEntry;
  });
}

/** The words a reader sees: no head, scripts, styles or tags; entities decoded roughly. */
function visibleText(path: string, text: string): string {
  if (!path.endsWith('.html')) return text;
  return text
    .replace(/<head[\s\S]*?<\/head>/i, ' ')
    .replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&[a-z]+;/g, '&');
}

/** Every file under the folder, dotfiles included, as forward-slash relative paths. */
async function allFiles(root: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
    const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await allFiles(root, path)));
    else out.push(path);
  }
  return out;
}

async function pages(): Promise<{ path: string; text: string }[]> {
  const entries = await manifest();
  return Promise.all(
    entries.map(async (e) => ({
      path: e.path,
      // The one PDF report is read as the agents read it.
      text: e.path.endsWith('.pdf') ? (await pdfToText(await readFile(join(dir, e.path)))).text : await readFile(join(dir, e.path), 'utf8'),
    })),
  );
}

describe('sample corpus', { timeout: 20_000 }, () => {
  it('has a manifest that matches the files exactly', { timeout: 10_000 }, async () => {
    const entries = await manifest();
    // Top-level JSON files are metadata (manifest, reputation tiers, labels), not pages.
    const onDisk = (await allFiles(dir, '')).filter((p) => !/^[a-z-]+\.json$/.test(p)).sort();
    const listed = entries.map((e) => e.path).sort();
    assert.deepEqual(listed, onDisk);
    assert.equal(new Set(listed).size, listed.length, 'no duplicate paths');

    const documents = await listDocuments(dir);
    assert.deepEqual(
      documents.map((d) => d.path),
      listed,
    );
    const titles = new Map(documents.map((d) => [d.path, d.title]));
    for (const entry of entries) {
      // A PDF's title is in its metadata, which listDocuments does not parse: it lists the file name.
      if (!entry.path.endsWith('.pdf')) assert.equal(entry.title, titles.get(entry.path), `title of ${entry.path}`);
      assert.equal(entry.topic, entry.path.split('/')[0], `topic of ${entry.path}`);
      assert.match(entry.domain, /^[a-z0-9-]+\.example$/, `domain of ${entry.path}`);
      assert.match(entry.path, /^[a-z]+\/[a-z0-9-]+\.(html|md|txt|pdf)$/, `path of ${entry.path}`);
    }
  });

  it('names in its reputation tiers only publishers the manifest has', { timeout: 10_000 }, async () => {
    const domains = new Set((await manifest()).map((e) => e.domain));
    const tiers = JSON.parse(await readFile(join(dir, 'reputation.json'), 'utf8')) as { tiers: Array<{ domains: string[] }> };
    for (const d of tiers.tiers.flatMap((t) => t.domains)) assert.ok(domains.has(d), `${d} is not a sample publisher`);
  });

  it('has at least 36 pages across the six topics, in HTML, Markdown and text', { timeout: 5_000 }, async () => {
    const entries = await manifest();
    assert.ok(entries.length >= 36, `${entries.length} entries`);
    for (const topic of TOPICS) {
      const count = entries.filter((e) => e.topic === topic).length;
      assert.ok(count >= 6, `${topic} has ${count} pages`);
    }
    assert.deepEqual([...new Set(entries.map((e) => e.topic))].sort(), [...TOPICS].sort());
    assert.ok(entries.filter((e) => e.path.endsWith('.md')).length >= 4, 'at least 4 Markdown pages');
    assert.ok(entries.filter((e) => e.path.endsWith('.txt')).length >= 2, 'at least 2 text pages');
    assert.ok(entries.filter((e) => e.path.endsWith('.pdf')).length >= 1, 'at least one PDF report');
  });

  it('has pages of 250-600 words with several numbers and the sample footer', { timeout: 5_000 }, async () => {
    const entries = await manifest();
    const domains = new Map(entries.map((e) => [e.path, e.domain]));
    for (const page of await pages()) {
      const text = visibleText(page.path, page.text);
      const words = text.split(/\s+/).filter((w) => w !== '').length;
      assert.ok(words >= 250 && words <= 600, `${page.path}: ${words} words`);
      const numbers = text.match(/\d+(?:[.,]\d+)*/g) ?? [];
      assert.ok(numbers.length >= 3, `${page.path}: ${numbers.length} numbers`);
      assert.match(text, /\d(?:[.,]\d+)*\s?(?:%|percent)/, `${page.path} has a percentage`);
      assert.ok(page.text.includes(FOOTER), `${page.path} carries the sample footer`);
      assert.ok(page.text.includes(domains.get(page.path) ?? '\0'), `${page.path} names its domain`);
    }
  });

  it('links only to reserved .example domains', { timeout: 5_000 }, async () => {
    for (const page of await pages()) {
      for (const match of page.text.matchAll(/\bhttps?:\/\/([^/\s"'<>)]+)/g)) {
        assert.match(match[1] ?? '', /\.example$/, `${page.path} links to ${match[1]}`);
      }
      for (const match of page.text.matchAll(/[\w.+-]+@([\w-]+(?:\.[\w-]+)+)/g)) {
        assert.match(match[1] ?? '', /\.example$/, `${page.path} names the address ${match[0]}`);
      }
    }
  });

  it('has HTML pages shaped like real web pages', { timeout: 5_000 }, async () => {
    const html = (await pages()).filter((p) => p.path.endsWith('.html'));
    for (const page of html) {
      for (const tag of ['<html', '<head', '<title>', '<nav', '<header', '<main', '<article', '<h1', '<h2', '<p', '<aside', '<footer']) {
        assert.ok(page.text.includes(tag), `${page.path} has ${tag}`);
      }
    }
    const all = html.map((p) => p.text).join('\n');
    for (const feature of ['<script', '<strong>', '<em>', '<a href', '&amp;', '&nbsp;', '&ndash;', '<table']) {
      assert.ok(all.includes(feature), `some HTML page uses ${feature}`);
    }
  });

  it('exercises the number formats extractors must handle', { timeout: 5_000 }, async () => {
    const all = (await pages()).map((p) => visibleText(p.path, p.text)).join('\n');
    const formats: [string, RegExp][] = [
      ['decimal percentage', /\b\d+\.\d+%/],
      ['"percent" spelled out', /\b\d+(?:\.\d+)? percent\b/],
      ['scale word', /\b\d+(?:\.\d+)? (?:million|billion|trillion)\b/],
      ['dollar amount', /\$\d/],
      ['euro amount', /€\d/],
      ['ISO currency code', /\bUSD \d/],
      ['thousands separator', /\b\d{1,3},\d{3}\b/],
      ['degrees Celsius', /\d(?:\s|\u00a0)?°C/],
      ['millimetres per year', /\d mm per year/],
      ['kilowatt-hours', /\d kWh\b/],
      ['kilometres', /\d km\b/],
      ['years', /\d+\.\d years\b/],
      ['negative value', /-\d+(?:\.\d+)?%/],
      ['"fell by"', /fell by \d/],
      ['estimate date', /\(\d{4} est\.\)/],
      ['"in 2022"', /\bin 2022\b/],
    ];
    for (const [name, pattern] of formats) assert.match(all, pattern, `the corpus has a ${name}`);
  });
});
