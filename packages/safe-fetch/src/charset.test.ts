import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalCharset, charsetFromContentType, decodeText, sniffHtmlCharset } from './charset.js';

const T = { timeout: 5_000 };

test('charsetFromContentType', T, () => {
  assert.equal(charsetFromContentType('text/html; charset=UTF-8'), 'utf-8');
  assert.equal(charsetFromContentType('text/html;charset="ISO-8859-1"; q=1'), 'iso-8859-1');
  assert.equal(charsetFromContentType('text/html; foo=bar'), undefined);
  assert.equal(charsetFromContentType('text/html; charset='), undefined);
  assert.equal(charsetFromContentType(undefined), undefined);
});

test('sniffHtmlCharset reads a meta tag in the first 1024 bytes only', T, () => {
  assert.equal(sniffHtmlCharset(Buffer.from('<html><head><meta charset="Windows-1252">')), 'windows-1252');
  assert.equal(sniffHtmlCharset(Buffer.from("<meta http-equiv='Content-Type' content='text/html; charset=iso-8859-1'>")), 'iso-8859-1');
  assert.equal(sniffHtmlCharset(Buffer.from('<meta charset=utf-16>')), 'utf-8');
  assert.equal(sniffHtmlCharset(Buffer.from(`${' '.repeat(1024)}<meta charset="windows-1252">`)), undefined);
  assert.equal(sniffHtmlCharset(Buffer.from('<p>no meta</p>')), undefined);
});

test('canonicalCharset: latin-1 and ASCII labels are windows-1252, unknown labels undefined', T, () => {
  for (const l of ['ISO-8859-1', 'latin1', 'us-ascii', 'cp1252']) assert.equal(canonicalCharset(l), 'windows-1252', l);
  assert.equal(canonicalCharset('UTF8'), 'utf-8');
  assert.equal(canonicalCharset('shift_jis'), 'shift_jis');
  assert.equal(canonicalCharset('x-no-such'), undefined);
  assert.equal(canonicalCharset(undefined), undefined);
});

test('decodeText: windows-1252 curly quotes and euro are not C1 controls', T, () => {
  assert.deepEqual(decodeText(Buffer.from([0x93, 0x71, 0x94, 0x20, 0x80, 0xe9]), 'iso-8859-1'), { text: '\u201cq\u201d \u20ac\u00e9', charset: 'windows-1252' });
});

test('decodeText: a BOM wins over the label and is removed', T, () => {
  assert.deepEqual(decodeText(Buffer.from([0xef, 0xbb, 0xbf, 0xc3, 0xa9]), 'windows-1252'), { text: 'é', charset: 'utf-8' });
  assert.deepEqual(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from([0x00, 0x41])]), undefined), { text: 'A', charset: 'utf-16be' });
});

test('decodeText: UTF-8 by default and for unknown labels; invalid bytes become U+FFFD', T, () => {
  assert.deepEqual(decodeText(Buffer.from('naïve', 'utf8'), undefined), { text: 'naïve', charset: 'utf-8' });
  assert.deepEqual(decodeText(Buffer.from('ok', 'utf8'), 'x-no-such'), { text: 'ok', charset: 'utf-8' });
  assert.equal(decodeText(Buffer.from([0x61, 0xff, 0x62]), 'utf-8').text, 'a\ufffdb');
});
