import { strict as assert } from 'assert';
import fc from 'fast-check';
import { runCli } from './io';
import { FROZEN_SPTE, SHADOW_NONPRESENT_VALUE, makeLeafSpte, make_nonleaf_spte, makeSeptEntry } from '../../../src/sim/spte';

const hex = (v: bigint) => '0x' + v.toString(16);

describe('tdp-sim decode', () => {
  it('names the fields and predicates of a 2M leaf', async () => {
    const spte = makeLeafSpte({ pfn: 0x1200, level: 2, writable: true });
    const r = await runCli(['decode', hex(spte), '--level', '2M']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^${hex(spte)}: leaf at 2M pfn 0x1200 RWX`));
    assert.match(r.out, /\n {2}7 +large +0x1 +leaf \(huge page\)/);
    assert.match(r.out, /is_last_spte +true/);
    assert.match(r.out, /is_shadow_present_pte +true/);
  });

  it('without --level, is_last_spte is unknown; a non-leaf at 2M is not last', async () => {
    const nonleaf = make_nonleaf_spte(0x777);
    assert.match((await runCli(['decode', hex(nonleaf)])).out, /is_last_spte +unknown \(give --level\)/);
    const r = await runCli(['decode', hex(nonleaf), '--level', '2']);
    assert.match(r.out, /non-leaf at 2M → page table at pfn 0x777/);
    assert.match(r.out, /is_last_spte +false/);
  });

  it('--json gives the documented shape with exact hex strings', async () => {
    const r = await runCli(['decode', hex(FROZEN_SPTE), '--json']);
    assert.equal(r.code, 0);
    const j = JSON.parse(r.out);
    assert.deepEqual(Object.keys(j), ['value', 'level', 'kind', 'summary', 'pfn', 'predicates', 'fields', 'warnings']);
    assert.equal(j.value, '0x80000000000005a0');
    assert.equal(j.kind, 'frozen');
    assert.equal(j.predicates.is_frozen_spte, true);
    assert.equal(j.predicates.is_shadow_present_pte, false);
    assert.equal(j.level, null);
    for (const f of j.fields) assert.deepEqual(Object.keys(f), ['name', 'bits', 'raw', 'meaning']);
  });

  it('accepts kernel %llx output without 0x and with _ separators', async () => {
    const a = JSON.parse((await runCli(['decode', SHADOW_NONPRESENT_VALUE.toString(16), '--json'])).out);
    const b = JSON.parse((await runCli(['decode', '0x8000_0000_0000_0000', '--json'])).out);
    assert.deepEqual(a, b);
    assert.equal(a.kind, 'nonpresent');
  });

  it('decodes every 64-bit value in --json without error, value round-tripping', async () => {
    await fc.assert(fc.asyncProperty(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.constantFrom(undefined, '1', '2', '3'), async (v, level) => {
      const r = await runCli(['decode', hex(v), '--json', ...(level ? ['--level', level] : [])]);
      assert.equal(r.code, 0, r.err);
      assert.equal(BigInt(JSON.parse(r.out).value), v);
    }), { numRuns: 100 });
  });

  it('--sept decodes a simulated S-EPT entry', async () => {
    const e = makeSeptEntry('BLOCKED', 2, 0x4400);
    const j = JSON.parse((await runCli(['decode', hex(e), '--sept', '--json'])).out);
    assert.deepEqual(j, { value: hex(e), state: 'BLOCKED', level: 2, pfn: '0x4400', leaf: true, present: true, blocked: true, summary: 'BLOCKED 2M page pfn 0x4400' });
    assert.match((await runCli(['decode', hex(e), '--sept'])).out, /S-EPT BLOCKED 2M page pfn 0x4400/);
  });

  it('bad values and options exit 2 with a clear message on stderr', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['decode', '0xzz'], /tdp-sim decode: SPTE '0xzz' is not hex: unexpected character at column 3/],
      [['decode', '0x1_0000_0000_0000_0000'], /wider than 64 bits/],
      [['decode', '--', '-5'], /negative/],
      [['decode', ''], /empty/],
      [['decode'], /expected one SPTE value, got 0/],
      [['decode', '1', '2'], /expected one SPTE value, got 2/],
      [['decode', '1', '--level', '7'], /invalid page level '7'/],
      [['decode', '1', '--vm', 'sev'], /--vm must be tdx or vmx/],
      [['decode', '1', '--bogus'], /Unknown option '--bogus'/],
      [['decode', '0xf', '--sept'], /unknown state code 15/],
    ];
    for (const [argv, re] of cases) {
      const r = await runCli(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.equal(r.out, '');
      assert.match(r.err, re);
    }
  });
});
