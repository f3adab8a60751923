// KnownEntries (per-table bitmaps) against the obvious model: a Set of (gfn, level) names.
import { strict as assert } from 'assert';
import fc from 'fast-check';
import type { PgLevel } from '../../../src/sim/types';
import { KnownEntries } from '../../../src/trace/known';

const PAGES = [0, 1, 512, 512 ** 2, 512 ** 3, 512 ** 4];
const level = fc.constantFrom<PgLevel>(1, 2, 3, 4);
// Entries of the first few page tables of a level, mostly aligned GFNs, sometimes not; tables
// forgotten among those same first few.
const gfnAt = (lv: PgLevel, entries: number) => fc.tuple(fc.integer({ min: 0, max: entries }), fc.integer({ min: 0, max: 2 }))
  .map(([i, off]) => i * PAGES[lv] + (off === 0 ? 1 : 0));
const op = level.chain((lv) => fc.oneof(
  fc.tuple(fc.constantFrom('add', 'has'), gfnAt(lv, 1100), fc.constant(lv)),
  fc.tuple(fc.constant('forget'), gfnAt(lv, 3), fc.constant(lv)),
));

describe('trace KnownEntries', () => {
  it('answers like a Set of (gfn, level) keys under add / forgetTable', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const k = new KnownEntries();
      const model = new Set<string>();
      for (const [kind, gfn, lv] of ops) {
        if (kind === 'add') { k.add(gfn, lv); model.add(`${gfn}/${lv}`); }
        if (kind === 'forget' && lv > 1) {
          const child = (lv - 1) as PgLevel;
          k.forgetTable(gfn, child);
          for (let i = 0; i < 512; i++) model.delete(`${gfn + i * PAGES[child]}/${child}`);
        }
        assert.equal(k.has(gfn, lv), model.has(`${gfn}/${lv}`), `${kind} ${gfn} ${lv}`);
      }
      // Every name ever added, known or forgotten since, reads as the model says.
      for (const [kind, gfn, lv] of ops) if (kind === 'add') assert.equal(k.has(gfn, lv), model.has(`${gfn}/${lv}`), `end ${gfn} ${lv}`);
    }), { numRuns: 500 });
  });
});
