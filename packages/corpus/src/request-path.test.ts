import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRequestPath, type RefusalReason } from './request-path.js';

describe('parseRequestPath', { timeout: 5_000 }, () => {
  it('accepts corpus paths, decoding once and ignoring the query', { timeout: 1_000 }, () => {
    assert.deepEqual(parseRequestPath('/energy/solar.html'), {
      ok: true,
      segments: ['energy', 'solar.html'],
      contentType: 'text/html; charset=utf-8',
    });
    assert.deepEqual(parseRequestPath('/a%20b/%C3%A9.md?x=1'), {
      ok: true,
      segments: ['a b', 'é.md'],
      contentType: 'text/markdown; charset=utf-8',
    });
    // Decoded once only: %252e%252e is the literal name "%2e%2e", not "..".
    assert.deepEqual(parseRequestPath('/%252e%252e/x.txt'), {
      ok: true,
      segments: ['%2e%2e', 'x.txt'],
      contentType: 'text/plain; charset=utf-8',
    });
  });

  it('refuses every escape attempt with a reason', { timeout: 1_000 }, () => {
    const cases: [string, RefusalReason][] = [
      ['energy/x.html', 'not-origin-form'],
      ['http://h/x.html', 'not-origin-form'],
      [`/${'a'.repeat(3000)}.html`, 'too-long'],
      ['/%E0%A4%A.html', 'malformed-encoding'],
      ['/%zz.html', 'malformed-encoding'],
      ['/x%00.html', 'nul'],
      ['/x%0a.html', 'control-character'],
      ['/..%5c..%5cpackage.json', 'backslash'],
      ['/energy\\..\\x.html', 'backslash'],
      ['//etc/passwd.txt', 'absolute'],
      ['/%2fetc/passwd.txt', 'absolute'],
      ['/C:/x.txt', 'absolute'],
      ['/a//b.html', 'empty-segment'],
      ['/energy/', 'empty-segment'],
      ['/../package.json', 'traversal'],
      ['/%2e%2e/package.json', 'traversal'],
      ['/%2E%2E/x.html', 'traversal'],
      ['/energy/..%2f..%2fpackage.json', 'traversal'],
      ['/./x.html', 'traversal'],
      ['/.env.txt', 'dotfile'],
      ['/.git/config.txt', 'dotfile'],
      ['/index.json', 'extension'],
      ['/energy', 'extension'],
    ];
    for (const [target, reason] of cases) {
      assert.deepEqual(parseRequestPath(target), { ok: false, reason }, target);
    }
  });
});
