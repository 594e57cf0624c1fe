import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, CanonicalJsonError } from './canonical.js';

const T = { timeout: 5_000 };

test('the RFC 8785 section 3.2.2 example serializes to the RFC output', T, () => {
  const input = String.raw`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}`;
  const expected = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
  assert.equal(canonicalJson(JSON.parse(input)), expected);
});

test('keys sort by UTF-16 code units at every depth; undefined members are left out', T, () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined }, A: true, '\u00e9': 1, '\ud83d\ude00': 2 }), '{"A":true,"a":{"d":[3,{"y":2,"z":1}]},"b":1,"é":1,"😀":2}');
  assert.equal(canonicalJson({ x: 1, y: 2 }), canonicalJson({ y: 2, x: 1 }));
});

test('what JSON cannot hold is refused', T, () => {
  for (const bad of [Number.NaN, Infinity, { a: 1n }, { f: () => 1 }, '\ud800', 'a\udc00b', new Date(0), new Map()]) {
    assert.throws(() => canonicalJson(bad), CanonicalJsonError);
  }
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = [deep];
  assert.throws(() => canonicalJson(deep), /nested too deeply/);
});
