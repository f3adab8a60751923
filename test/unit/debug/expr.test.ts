import { strict as assert } from 'assert';
import fc from 'fast-check';
import { compile, ExprError, Fields, format, truthy, type Env, type Value } from '../../../src/debug/expr';

/** A plain environment: fixed names, and two functions to see calls and arguments arrive. */
function env(names: Record<string, Value>): Env {
  return {
    lookup: (n) => (n in names ? names[n] : undefined),
    call: (fn, args) => {
      if (fn === 'add') return (args[0] as bigint) + (args[1] as bigint);
      if (fn === 'boom') throw new Error('no such entry');
      throw new ExprError(`unknown function '${fn}'`, 1);
    },
  };
}
const ev = (src: string, names: Record<string, Value> = {}): Value => compile(src).evaluate(env(names));

describe('debug/expr', () => {
  it('evaluates breakpoint conditions over simulated values', () => {
    const at = { gfn: 0x200n, level: 2n, is_mirror: true, root: 'mirror' };
    assert.equal(ev('gfn == 0x200 && level == 2', at), true);
    assert.equal(ev('gfn == 0x201 || level != 2', at), false);
    assert.equal(ev('is_mirror', at), true);
    assert.equal(ev('!is_mirror', at), false);
    assert.equal(ev('root == "mirror"', at), true);
    assert.equal(ev("root != 'direct'", at), true);
  });

  it('follows C precedence and 64-bit unsigned bit operations', () => {
    assert.equal(ev('1 + 2 * 3'), 7n);
    assert.equal(ev('(1 + 2) * 3'), 9n);
    assert.equal(ev('1 << 11 | 1'), 0x801n);
    assert.equal(ev('0x8000000000000000 >> 63'), 1n);
    assert.equal(ev('~0'), 0xffffffffffffffffn);
    assert.equal(ev('1 << 63 << 1'), 0n, 'wraps at 64 bits');
    assert.equal(ev('0x1_000'), 0x1000n);
    assert.equal(ev('10ULL % 4'), 2n);
    assert.equal(ev('2 < 3 == 1'), true, 'relational binds tighter than equality');
    assert.equal(ev('0 || 5 && 1'), true);
  });

  it('treats a known name without a value as "no match", never as an error', () => {
    const noGfn = { gfn: null, level: 1n };
    assert.equal(ev('gfn == 0x200', noGfn), false);
    assert.equal(ev('gfn != 0x200', noGfn), true);
    assert.equal(ev('gfn > 1', noGfn), false);
    assert.equal(ev('gfn & 1', noGfn), null);
    assert.equal(truthy(ev('gfn & 1', noGfn)), false);
  });

  it('reads fields of structured values and uses their scalar in arithmetic', () => {
    const spte = new Fields(new Map<string, Value>([['pfn', 0x1234n], ['present', true]]), 0x1234801n);
    assert.equal(ev('new_spte.pfn == 0x1234', { new_spte: spte }), true);
    assert.equal(ev('new_spte & (1 << 11)', { new_spte: spte }), 0x800n);
    assert.equal(ev('new_spte == 0x1234801', { new_spte: spte }), true);
    assert.throws(() => ev('new_spte.nope', { new_spte: spte }), /no field 'nope' \(fields: pfn, present\)/);
  });

  it('calls environment functions and names the function in their errors', () => {
    assert.equal(ev('add(1, add(2, 3))'), 6n);
    assert.throws(() => ev('boom()'), (e: unknown) => e instanceof ExprError && /boom\(\): no such entry \(column 1\)/.test(e.message));
    const c = compile('f(x, g(y)) && z');
    assert.deepEqual([...c.functions].sort(), ['f', 'g']);
    assert.deepEqual([...c.names].sort(), ['x', 'y', 'z']);
  });

  it('reports syntax and type errors with the column', () => {
    const col = (src: string, names: Record<string, Value> = {}): number => {
      try { ev(src, names); } catch (e) { assert.ok(e instanceof ExprError, String(e)); return e.column; }
      assert.fail(`no error for ${src}`);
    };
    assert.equal(col('gfn == '), 8);
    assert.equal(col('gfn === 1'), 7);
    assert.equal(col('(gfn == 1'), 10);
    assert.equal(col('gfn = 1'), 5);
    assert.equal(col('"abc'), 1);
    assert.equal(col('nope == 1'), 1);
    assert.equal(col('1 / 0'), 3);
    assert.equal(col('0x12g'), 1);
    assert.equal(col('root < 1', { root: 'mirror' }), 6);
    assert.equal(col('root == 1', { root: 'mirror' }), 6);
    assert.equal(col(''), 1);
    assert.equal(col('1 << 64'), 3);
  });

  it('refuses huge or deeply nested input instead of overflowing the stack', () => {
    assert.throws(() => compile('('.repeat(5000) + '1' + ')'.repeat(5000)), /longer than/);
    assert.throws(() => compile('!'.repeat(500) + '1'), /nested too deeply/);
    assert.throws(() => compile('('.repeat(300) + '1' + ')'.repeat(300)), /nested too deeply/);
  });

  it('formats values in hex like the kernel tracepoints', () => {
    assert.equal(format(0x200n), '0x200');
    assert.equal(format(-1n), '-0x1');
    assert.equal(format(null), '<none>');
    assert.equal(format('mirror'), '"mirror"');
  });

  it('property: arbitrary text either parses or fails with an ExprError, never anything else', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => {
      try {
        compile(s).evaluate(env({ gfn: 1n, level: 2n }));
      } catch (e) {
        assert.ok(e instanceof ExprError, `${JSON.stringify(s)} threw ${String(e)}`);
      }
    }), { numRuns: 2000 });
  });

  it('property: integer arithmetic agrees with BigInt on 64-bit unsigned values', () => {
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    fc.assert(fc.property(u64, u64, fc.constantFrom('&', '|', '^', '+', '-', '*', '<', '==', '>='), (a, b, op) => {
      const got = ev(`a ${op} b`, { a, b });
      const want = { '&': a & b, '|': a | b, '^': a ^ b, '+': a + b, '-': a - b, '*': a * b, '<': a < b, '==': a === b, '>=': a >= b }[op];
      assert.equal(got, want);
    }));
  });
});
