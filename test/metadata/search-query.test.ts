import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prefixUpperBound } from '../../src/metadata/search-query.js';

test('prefixUpperBound increments the last code point', () => {
  assert.equal(prefixUpperBound('+4420'), '+4421');
  assert.equal(prefixUpperBound('a%'), 'a&');
  assert.equal(prefixUpperBound('a_'), 'a`');
  assert.equal(prefixUpperBound('é'), 'ê');
  // A supplementary character is one code point, not two UTF-16 units.
  assert.equal(prefixUpperBound('a😀'), 'a😁');
  assert.equal(prefixUpperBound('a\uffff'), 'a\u{10000}');
});

test('prefixUpperBound skips the surrogate block and drops trailing U+10FFFF', () => {
  assert.equal(prefixUpperBound('a\ud7ff'), 'a\ue000');
  assert.equal(prefixUpperBound('a\u{10ffff}'), 'b');
  assert.equal(prefixUpperBound('\u{10ffff}\u{10ffff}'), undefined);
  assert.equal(prefixUpperBound(''), undefined);
});

test('every string with the prefix sorts below the bound, in code-point order', () => {
  const codePoints = (s: string) => Array.from(s, (c) => c.codePointAt(0)!);
  const below = (a: string, b: string) => {
    const [x, y] = [codePoints(a), codePoints(b)];
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i];
    return x.length < y.length;
  };
  for (const prefix of ['ab', 'a\uffff', '+44', 'z']) {
    const bound = prefixUpperBound(prefix)!;
    for (const rest of ['', '\u0000', 'zzz', '\uffff', '\u{10ffff}', '😀'])
      assert.ok(below(prefix + rest, bound), `${prefix}${rest}`);
  }
});
