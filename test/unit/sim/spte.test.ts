// Facts checked against arch/x86/kvm/mmu/spte.h, spte.c (kvm_mmu_set_ept_masks, make_spte,
// make_nonleaf_spte, make_huge_page_split_spte) and arch/x86/kvm/mmu.h of Linux 6.12.
import { strict as assert } from 'assert';
import fc from 'fast-check';
import {
  FROZEN_SPTE, SHADOW_NONPRESENT_VALUE, SPTE_MMU_PRESENT_MASK, PT_PAGE_SIZE_MASK, SPTE_BASE_ADDR_MASK,
  EPT_SPTE_HOST_WRITABLE, EPT_SPTE_MMU_WRITABLE, VMX_EPT_SUPPRESS_VE_BIT, SPTE_TDP_AD_DISABLED, SPTE_TDP_AD_WRPROT_ONLY,
  is_shadow_present_pte, is_frozen_spte, is_large_pte, is_last_spte, spte_to_pfn, sptePfn, is_mmio_spte,
  makeLeafSpte, make_nonleaf_spte, make_small_spte, parseSpte, SpteParseError, decodeSpte, decodedSpteToJSON,
  makeSeptEntry, decodeSeptEntry, SEPT_STATES, septState, septEntryIsLeaf, get_mmio_spte_generation,
} from '../../../src/sim/spte';
import { pagesPerHpage, parsePgLevel, spteIndex, gfnRoundForLevel, pgLevelToTdxSeptLevel } from '../../../src/sim/levels';
import type { PgLevel } from '../../../src/sim/types';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const level = fc.constantFrom<PgLevel>(1, 2, 3, 4, 5);

describe('sim/spte: bit layout', () => {
  it('places the kernel constants at their bits', () => {
    assert.equal(SPTE_MMU_PRESENT_MASK, 1n << 11n);
    assert.equal(PT_PAGE_SIZE_MASK, 0x80n);
    assert.equal(SPTE_BASE_ADDR_MASK, 0x000ffffffffff000n);
    assert.equal(EPT_SPTE_HOST_WRITABLE, 1n << 57n);
    assert.equal(EPT_SPTE_MMU_WRITABLE, 1n << 58n);
    assert.equal(VMX_EPT_SUPPRESS_VE_BIT, 1n << 63n);
    assert.equal(SPTE_TDP_AD_DISABLED, 1n << 52n);
    assert.equal(SPTE_TDP_AD_WRPROT_ONLY, 2n << 52n);
    assert.equal(SHADOW_NONPRESENT_VALUE, 0x8000000000000000n);
    assert.equal(FROZEN_SPTE, 0x80000000000005a0n);
  });

  it('FROZEN_SPTE and SHADOW_NONPRESENT_VALUE are not MMU-present, FROZEN has no RWX or pfn', () => {
    assert.equal(is_shadow_present_pte(FROZEN_SPTE), false);
    assert.equal(is_shadow_present_pte(SHADOW_NONPRESENT_VALUE), false);
    assert.equal(FROZEN_SPTE & 7n, 0n);
    assert.equal(spte_to_pfn(FROZEN_SPTE), 0n);
  });

  it('is_frozen_spte is exact equality', () => {
    fc.assert(fc.property(u64, (v) => is_frozen_spte(v) === (v === FROZEN_SPTE)));
    assert.equal(is_frozen_spte(FROZEN_SPTE | 1n), false);
  });

  it('is_shadow_present_pte is bit 11 alone', () => {
    fc.assert(fc.property(u64, (v) => is_shadow_present_pte(v) === (((v >> 11n) & 1n) === 1n)));
  });

  it('is_last_spte: every 4K entry, else the large bit', () => {
    fc.assert(fc.property(u64, level, (v, l) => is_last_spte(v, l) === (l === 1 || (v & 0x80n) !== 0n)));
    assert.equal(is_large_pte(0x80n), true);
  });

  it('spte_to_pfn takes bits 51:12', () => {
    fc.assert(fc.property(u64, (v) => spte_to_pfn(v) === ((v >> 12n) & ((1n << 40n) - 1n))));
  });
  it('sptePfn is spte_to_pfn as an exact number', () => {
    fc.assert(fc.property(u64, (v) => sptePfn(v) === Number((v >> 12n) & ((1n << 40n) - 1n))));
    assert.equal(sptePfn(0xffffffffffffffffn), 2 ** 40 - 1);
  });
});

describe('sim/spte: constructors', () => {
  it('a writable 4K leaf has present, R/W/X, A/D, WB, host- and MMU-writable, suppress-VE and the pfn', () => {
    const s = makeLeafSpte({ pfn: 0x12345n, level: 1, writable: true });
    assert.equal(s, 0x8600000012345b37n);
    assert.equal(is_shadow_present_pte(s), true);
    assert.equal(is_last_spte(s, 1), true);
    assert.equal(is_large_pte(s), false);
    assert.equal(spte_to_pfn(s), 0x12345n);
  });

  it('a read-only huge leaf has the large bit, host-writable only, no D', () => {
    const s = makeLeafSpte({ pfn: 0x200, level: 2, writable: false });
    assert.equal(s & 0x80n, 0x80n);
    assert.equal(s & 0x202n, 0n);
    assert.equal(s & EPT_SPTE_MMU_WRITABLE, 0n);
    assert.notEqual(s & EPT_SPTE_HOST_WRITABLE, 0n);
    assert.equal(is_last_spte(s, 2), true);
  });

  it('every bit of a leaf follows its options, whether the pfn is a number or a bigint, in any order of calls', () => {
    const bit = (s: bigint, n: number) => (s >> BigInt(n)) & 1n;
    const opts = fc.record({
      pfn: fc.integer({ min: 0, max: 2 ** 40 - 1 }), level: fc.constantFrom<PgLevel>(1, 2, 3), writable: fc.boolean(),
      executable: fc.boolean(), memtype: fc.integer({ min: 0, max: 7 }), ipat: fc.boolean(), prefetch: fc.boolean(), hostWritable: fc.boolean(),
    });
    fc.assert(fc.property(opts, (o) => {
      const s = makeLeafSpte(o);
      assert.equal(makeLeafSpte({ ...o, pfn: BigInt(o.pfn) }), s);
      assert.equal(spte_to_pfn(s), BigInt(o.pfn));
      const w = o.writable && o.hostWritable;
      assert.deepEqual(
        [bit(s, 0), bit(s, 1), bit(s, 2), (s >> 3n) & 7n, bit(s, 6), bit(s, 7), bit(s, 8), bit(s, 9), bit(s, 11), bit(s, 57), bit(s, 58), bit(s, 63)],
        [1n, w ? 1n : 0n, o.executable ? 1n : 0n, BigInt(o.memtype), o.ipat ? 1n : 0n, o.level > 1 ? 1n : 0n, o.prefetch ? 0n : 1n,
          w ? 1n : 0n, 1n, o.hostWritable ? 1n : 0n, w ? 1n : 0n, 1n]);
    }), { numRuns: 500 });
    assert.throws(() => makeLeafSpte({ pfn: 2 ** 40, level: 1, writable: true }), /does not fit bits 51:12/);
    assert.throws(() => makeLeafSpte({ pfn: 1, level: 1, writable: true, memtype: 8 }), /memory type 8 is not 0\.\.7/);
  });

  it('a prefetched leaf has no accessed bit', () => {
    assert.equal(makeLeafSpte({ pfn: 1, level: 1, writable: false, prefetch: true }) & 0x100n, 0n);
  });

  it('make_nonleaf_spte: present, RWX, accessed, suppress-VE, not large', () => {
    const s = make_nonleaf_spte(0xabcn);
    assert.equal(s, 0x8000000000abc907n);
    assert.equal(is_last_spte(s, 2), false);
    assert.equal(make_nonleaf_spte(0xabcn, true) & (3n << 52n), SPTE_TDP_AD_DISABLED);
  });

  it('make_small_spte: adds index * pages-per-child to the pfn; clears the large bit only at 4K', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 511 }), fc.constantFrom<PgLevel>(1, 2), (i, child) => {
      const parentLevel = (child + 1) as PgLevel;
      const huge = makeLeafSpte({ pfn: BigInt(pagesPerHpage(parentLevel)) * 7n, level: parentLevel, writable: true });
      const small = make_small_spte(huge, child, i);
      assert.equal(spte_to_pfn(small), spte_to_pfn(huge) + BigInt(i * pagesPerHpage(child)));
      assert.equal(is_large_pte(small), child !== 1);
      assert.equal(small & ~(SPTE_BASE_ADDR_MASK | 0x80n), huge & ~(SPTE_BASE_ADDR_MASK | 0x80n));
    }));
    assert.throws(() => make_small_spte(SHADOW_NONPRESENT_VALUE, 1, 0), /not a present huge SPTE/);
  });
});

describe('sim/spte: parseSpte', () => {
  it('accepts kernel %llx output with or without 0x and with _ separators', () => {
    assert.equal(parseSpte('80000000000005a0'), FROZEN_SPTE);
    assert.equal(parseSpte('0x8000_0000_0000_05A0'), FROZEN_SPTE);
    assert.equal(parseSpte('  0xffffffffffffffff '), (1n << 64n) - 1n);
  });
  it('rejects negative, empty, non-hex and >64-bit input with a reason', () => {
    assert.throws(() => parseSpte('-1'), (e: Error) => e instanceof SpteParseError && /negative/.test(e.message));
    assert.throws(() => parseSpte(''), /empty/);
    assert.throws(() => parseSpte('0x'), /not hex/);
    assert.throws(() => parseSpte('0x12g4'), /not hex: unexpected character at column 5/);
    assert.throws(() => parseSpte('1.5'), /not hex/);
    assert.throws(() => parseSpte('0x1_0000_0000_0000_0000'), /wider than 64 bits/);
    assert.throws(() => parseSpte(-3n), /negative/);
  });
  it('round-trips every 64-bit value', () => {
    fc.assert(fc.property(u64, (v) => parseSpte('0x' + v.toString(16)) === v && parseSpte(v.toString(16)) === v));
  });
});

describe('sim/spte: decodeSpte', () => {
  it('decodes a leaf into named fields with the kernel predicates', () => {
    const d = decodeSpte(makeLeafSpte({ pfn: 0x12345n, level: 2, writable: true }), 2);
    assert.equal(d.kind, 'leaf');
    assert.equal(d.pfn, 0x12345n);
    const f = Object.fromEntries(d.fields.map((x) => [x.name, x]));
    assert.equal(f.memtype.raw, 6n);
    assert.match(f.memtype.meaning, /WB/);
    assert.equal(f.pfn.bits, '51:12');
    assert.equal(f['suppress-VE'].raw, 1n);
    assert.deepEqual(d.predicates, { is_shadow_present_pte: true, is_frozen_spte: false, is_large_pte: true, is_last_spte: true, is_mmio_spte: false, is_writable_pte: true, is_mmu_writable_spte: true });
    assert.deepEqual(d.warnings, []);
  });
  it('names FROZEN_SPTE, SHADOW_NONPRESENT_VALUE and non-leaf entries', () => {
    assert.equal(decodeSpte(FROZEN_SPTE).kind, 'frozen');
    assert.match(decodeSpte(SHADOW_NONPRESENT_VALUE).summary, /SHADOW_NONPRESENT_VALUE/);
    assert.equal(decodeSpte(make_nonleaf_spte(5), 3).kind, 'nonleaf');
    assert.equal(decodeSpte(make_nonleaf_spte(5)).predicates.is_last_spte, null);
  });
  it('recognises MMIO SPTEs per VM type (W|X misconfig for VMX, RWX=0 without suppress-VE for a TD)', () => {
    const gen = 0x1234;
    const vmx = 6n | (BigInt(gen & 0xff) << 3n) | (BigInt(gen >> 8) << 52n) | (0x10n << 12n);
    assert.equal(is_mmio_spte(vmx, 'vmx'), true);
    const d = decodeSpte(vmx);
    assert.equal(d.kind, 'mmio');
    assert.equal(get_mmio_spte_generation(vmx), gen);
    assert.equal(is_mmio_spte(0x10000n, 'tdx'), true);
    assert.equal(is_mmio_spte(SHADOW_NONPRESENT_VALUE, 'tdx'), false);
  });
  it('warns about a writable SPTE that is not MMU-writable, and about stray bits', () => {
    const bad = SPTE_MMU_PRESENT_MASK | 3n;
    assert.ok(decodeSpte(bad, 1).warnings.some((w) => /not MMU-writable/.test(w)));
    assert.ok(decodeSpte(SHADOW_NONPRESENT_VALUE | 0x10n).warnings.some((w) => /unexpected bits/.test(w)));
  });
  it('never throws on a 64-bit value and its fields cover every set bit exactly once', () => {
    fc.assert(fc.property(u64, fc.option(level, { nil: undefined }), (v, l) => {
      const d = decodeSpte(v, l);
      let acc = 0n;
      for (const f of d.fields) {
        const part = f.name === 'other' ? f.raw : f.raw << BigInt(f.lo);
        assert.equal(acc & part, 0n, `field ${f.name} overlaps`);
        acc |= part;
      }
      assert.equal(acc, v);
      const j = decodedSpteToJSON(d);
      assert.equal(j.value, '0x' + v.toString(16));
      JSON.stringify(j);
    }));
  });
});

describe('sim/spte: S-EPT entries (our encoding)', () => {
  it('FREE is 0 and every state round-trips with level and pfn', () => {
    assert.equal(makeSeptEntry('FREE', 1, 0x55), 0n);
    fc.assert(fc.property(fc.constantFrom(...SEPT_STATES.slice(1)), level, fc.bigInt({ min: 0n, max: (1n << 40n) - 1n }), (s, l, pfn) => {
      const d = decodeSeptEntry(makeSeptEntry(s, l, pfn));
      assert.equal(d.state, s);
      assert.equal(d.level, l);
      assert.equal(d.pfn, pfn);
      assert.equal(d.leaf, !s.startsWith('NL_'));
      assert.equal(d.blocked, s.includes('BLOCKED'));
      assert.equal(septState(makeSeptEntry(s, l, pfn)), s);
      assert.equal(septEntryIsLeaf(makeSeptEntry(s, l, pfn)), ['PENDING', 'MAPPED', 'BLOCKED', 'PENDING_BLOCKED'].includes(s));
      assert.equal(makeSeptEntry(s, l, Number(pfn)), makeSeptEntry(s, l, pfn), 'a number pfn builds the same entry');
    }));
    assert.throws(() => makeSeptEntry('MAPPED', 1, 2 ** 40), /does not fit bits 51:12/);
  });
  it('rejects unknown states, stray bits and a non-zero FREE entry', () => {
    assert.throws(() => decodeSeptEntry(0x17n), /unknown state code 7/);
    assert.throws(() => decodeSeptEntry(0x100n | 0x12n), /reserved bits/);
    assert.throws(() => decodeSeptEntry(0x1000n), /FREE entry must be 0/);
    assert.throws(() => decodeSeptEntry(0x02n), /invalid level 0/);
  });
});

describe('sim/levels', () => {
  it('KVM_PAGES_PER_HPAGE, SPTE_INDEX and gfn rounding', () => {
    assert.deepEqual([1, 2, 3, 4].map((l) => pagesPerHpage(l as PgLevel)), [1, 512, 262144, 134217728]);
    assert.equal(spteIndex(0x12345, 1), 0x145);
    assert.equal(spteIndex(0x12345, 2), 0x91);
    assert.equal(gfnRoundForLevel(0x12345, 2), 0x12200);
    assert.equal(pgLevelToTdxSeptLevel(2), 1);
  });
  it('parses levels by number or size name and rejects others', () => {
    assert.equal(parsePgLevel('2M'), 2);
    assert.equal(parsePgLevel('1g'), 3);
    assert.equal(parsePgLevel(1), 1);
    assert.throws(() => parsePgLevel('3M'), /invalid page level/);
    assert.throws(() => parsePgLevel(0), /invalid page level/);
  });
});
