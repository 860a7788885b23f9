import { describe, expect, it } from 'vitest';
import { canonicalJson, hashString } from './hash.js';

/** The textbook 64-bit FNV-1a on BigInt: the reference the fast version must equal. */
function fnv1aBigInt(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

describe('hashString', () => {
  it('is 64-bit FNV-1a (known vectors)', () => {
    expect(hashString('')).toBe('cbf29ce484222325');
    expect(hashString('a')).toBe('af63dc4c8601ec8c');
    expect(hashString('foobar')).toBe('85944171f73967e8');
  });

  it('equals the BigInt reference on random text, including code units above 0xff', () => {
    let seed = 42;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: rand(64) }, () => String.fromCharCode(rand(3) === 0 ? rand(0xffff) : 32 + rand(95))).join('');
      expect(hashString(text)).toBe(fnv1aBigInt(text));
    }
  });
});

describe('canonicalJson', () => {
  it('sorts keys and drops undefined, so equal values serialize identically', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
  });
});
