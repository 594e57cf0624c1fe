import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PageTextError } from './errors.js';
import { findQuantities } from './quantities.js';
import { limitText, looksBinary, readPage } from './page-text.js';
import { makePdf } from './pdf-fixture.js';
import { pdfToText } from './pdf.js';

const T = { timeout: 20_000 };
const isCode = (code: string) => (e: unknown) => e instanceof PageTextError && e.code === code;

describe('pdfToText', T, () => {
  it('joins the lines of a paragraph and breaks at paragraph gaps', T, async () => {
    const pdf = makePdf(
      [['Renewable energy report', '', 'Solar capacity grew by 24% in 2023, reaching', '1,419 GW worldwide.', '', 'Wind (2023 est.): 1,017 GW.']],
      { title: 'Renewables 2023 (IEA)' },
    );
    const page = await pdfToText(pdf);
    assert.equal(page.title, 'Renewables 2023 (IEA)');
    assert.deepEqual(page.text.split('\n'), [
      'Renewable energy report',
      'Solar capacity grew by 24% in 2023, reaching 1,419 GW worldwide.',
      'Wind (2023 est.): 1,017 GW.',
    ]);
    assert.deepEqual(findQuantities(page.text.split('\n')[1] ?? '').map((q) => [q.value, q.unit]), [[24, '%'], [1419, 'GW']]);
  });

  it('reads every page, titles by the first line without metadata, and stops at maxPages', T, async () => {
    const pdf = makePdf([['Page one says 10%.'], ['Page two says 20%.'], ['Page three says 30%.']]);
    assert.equal((await pdfToText(pdf)).text, 'Page one says 10%.\nPage two says 20%.\nPage three says 30%.');
    assert.equal((await pdfToText(pdf)).title, 'Page one says 10%.');
    assert.equal((await pdfToText(pdf, { maxPages: 2 })).text, 'Page one says 10%.\nPage two says 20%.');
  });

  it('does not detach the caller\'s buffer', T, async () => {
    const pdf = makePdf([['x 1%']]);
    await pdfToText(pdf);
    assert.ok(pdf.length > 0 && pdf.toString('latin1').startsWith('%PDF-'));
  });

  it('refuses bytes that are not a PDF with page_malformed', T, async () => {
    await assert.rejects(pdfToText(Buffer.from('%PDF-1.4\nthis is not a pdf')), isCode('page_malformed'));
    await assert.rejects(pdfToText(new Uint8Array(0)), isCode('page_malformed'));
    const truncated = makePdf([['Solar 24%.']]).subarray(0, 200);
    await assert.rejects(pdfToText(truncated), isCode('page_malformed'));
  });

  it('stops when the signal is aborted', T, async () => {
    const ac = new AbortController();
    ac.abort(new Error('deadline'));
    await assert.rejects(pdfToText(makePdf([['a 1%']]), { signal: ac.signal }), /deadline/);
  });
});

describe('readPage', T, () => {
  const enc = (s: string) => Buffer.from(s, 'utf8');

  it('dispatches PDFs by type or by signature, and text by type', T, async () => {
    const pdf = makePdf([['Coal fell 3.5% in 2023.']]);
    assert.equal((await readPage({ body: pdf, text: '', contentType: 'application/pdf' })).text, 'Coal fell 3.5% in 2023.');
    assert.equal((await readPage({ body: pdf, text: pdf.toString('latin1'), contentType: 'text/plain' })).text, 'Coal fell 3.5% in 2023.');
    const html = '<main><p>Oil rose 2%.</p></main>';
    assert.equal((await readPage({ body: enc(html), text: html, contentType: 'text/html; charset=utf-8' })).text, 'Oil rose 2%.');
  });

  it('refuses binary bodies served as text and unknown types', T, async () => {
    const png = '\x89PNG\r\n\x1a\n\0\0\0\rIHDR';
    await assert.rejects(readPage({ body: Buffer.from(png, 'latin1'), text: png, contentType: 'text/plain' }), isCode('page_binary'));
    await assert.rejects(readPage({ body: enc('{}'), text: '{}', contentType: 'application/json' }), isCode('page_unsupported_type'));
  });

  it('looksBinary spares real text in any script', T, () => {
    assert.equal(looksBinary('Population: 1,234,567 (2023 est.)\n\tTotal — 45%\r\n'), false);
    assert.equal(looksBinary('人口 1億2千万人 — Население 146 млн'), false);
    assert.equal(looksBinary(''), false);
    assert.equal(looksBinary('abc\u0001\u0002\u0003\u0004'), true);
  });
});

describe('limitText', T, () => {
  it('cuts at a line break near the limit and drops later headings', T, () => {
    const page = { title: 't', text: 'aaaa\nbbbbbbbbbb\ncccc', headings: [{ offset: 0, level: 1, text: 'aaaa' }, { offset: 16, level: 2, text: 'cccc' }] };
    assert.equal(limitText(page, 100), page);
    const cut = limitText(page, 16);
    assert.equal(cut.text, 'aaaa\nbbbbbbbbbb');
    assert.deepEqual(cut.headings.map((h) => h.text), ['aaaa']);
    assert.equal(limitText(page, 8).text, 'aaaa\nbbb');
  });
});
