import { strict as assert } from 'assert';
import fc from 'fast-check';
import { parseLevel, parseMappedLevel, parseSize, parseUint } from '../../../src/sim/scenario/values';

const value = <T>(p: { ok: true; value: T } | { ok: false; message: string }): T => {
  if (!p.ok) throw new Error(p.message);
  return p.value;
};

describe('scenario values', () => {
  it('parseUint: every safe integer round-trips through decimal and hex text', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
      assert.equal(value(parseUint(n)), n);
      assert.equal(value(parseUint(String(n))), n);
      assert.equal(value(parseUint('0x' + n.toString(16))), n);
      assert.equal(value(parseUint('0X' + n.toString(16).toUpperCase())), n);
    }));
  });

  it('parseUint: refuses floats, negatives, values above 2^53-1 and other text', () => {
    for (const v of [1.5, -1, 2 ** 53, '9007199254740992', '0x20000000000000', '-1', '1e3', '0x', '', ' ', 'ten', true, null, [], {}]) {
      const p = parseUint(v);
      assert.equal(p.ok, false, JSON.stringify(v));
    }
    assert.equal(value(parseUint('9007199254740991')), Number.MAX_SAFE_INTEGER);
  });

  it('parseSize: byte counts and K/M/G/T suffixes', () => {
    assert.equal(value(parseSize('64M')), 64 << 20);
    assert.equal(value(parseSize('4G')), 4 * 2 ** 30);
    assert.equal(value(parseSize('2T')), 2 * 2 ** 40);
    assert.equal(value(parseSize(4096)), 4096);
    assert.equal(value(parseSize('0x1000')), 4096);
    for (const bad of ['64MB', '1.5G', 'M', '-4K', '99999999999T']) assert.equal(parseSize(bad).ok, false, bad);
  });

  it('parseLevel / parseMappedLevel: names and pg_level numbers up to 1G', () => {
    assert.deepEqual(['4K', '2M', '1G', 1, 2, 3].map((v) => value(parseLevel(v))), [1, 2, 3, 1, 2, 3]);
    for (const bad of [0, 4, '512G', '3M', 'huge', 2.5]) assert.equal(parseLevel(bad).ok, false, String(bad));
    assert.equal(value(parseMappedLevel('none')), 0);
    assert.equal(value(parseMappedLevel(0)), 0);
    assert.equal(value(parseMappedLevel('2M')), 2);
  });
});
