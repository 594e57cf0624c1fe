import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PageTextError } from './errors.js';
import { pageText } from './page-text.js';

const T = { timeout: 5_000 };

test('pageText dispatches on the content type', T, () => {
  assert.equal(pageText('<p>Hi <b>there</b></p>', 'text/html; charset=utf-8').text, 'Hi there');
  assert.equal(pageText('<p>x</p>', 'application/xhtml+xml').text, 'x');
  assert.equal(pageText('# T\n**b**', 'text/markdown').text, 'T\nb');
  assert.equal(pageText('# T\n**b**', 'TEXT/X-MARKDOWN').text, 'T\nb');
});

test('pageText: plain text is kept as is, titled by its first line', T, () => {
  const body = '\n  Annual report 2023  \nGrowth was 3.5%.\r\n';
  assert.deepEqual(pageText(body, 'text/plain'), { text: body, title: 'Annual report 2023', headings: [] });
  assert.equal(pageText('a,b\n1,2', 'text/csv').text, 'a,b\n1,2');
});

test('pageText: an empty content type is sniffed', T, () => {
  assert.equal(pageText('<!DOCTYPE html><p>x</p>', '').text, 'x');
  assert.equal(pageText('<b>not a page</b>', '').text, '<b>not a page</b>');
});

test('pageText refuses types it cannot read as text', T, () => {
  assert.throws(() => pageText('%PDF-1.7', 'application/pdf'), (e: unknown) => e instanceof PageTextError && e.code === 'page_unsupported_type');
  assert.throws(() => pageText('x', 'image/png'), /unsupported content type "image\/png"/);
});
