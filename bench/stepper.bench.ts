// The stepper on a recording of a million events: opening it (the index pass), filtering,
// serving a window of timeline rows, and one step (the per-position view the host sends).
// Targets: stepping and windows must feel instant (< 16 ms, one frame); opening < 3 s.
import type { Bench } from './run';
import { RecordingBuilder } from '../src/sim/recording';
import { makeLeafSpte, make_nonleaf_spte, makeSeptEntry } from '../src/sim/spte';
import { StepperSession } from '../src/extension/stepper/session';
import { symbolicLocation } from '../src/extension/stepper/positionView';
import type { PgLevel } from '../src/sim/types';

const EVENTS = 1_000_000;

/** 4K private faults one after another: step, map, atomic set, set_external_spte_present, hook, AUG. */
function bigRecording() {
  const b = new RecordingBuilder({ profile: 'mainline', name: 'bench: 1M events' });
  b.setRoot('mirror', true);
  b.setRoot('sept', true);
  let gfn = 0;
  for (let step = 0; b.length < EVENTS; step++, gfn++) {
    b.beginStep(step, 'fault');
    b.push({ kind: 'step', fn: 'fault', anchor: null, parent: null, lock: 'none', vcpu: 0, gfn, level: 1 });
    for (const level of [4, 3, 2] as PgLevel[]) {
      const span = 512 ** (level - 1);
      if (gfn % span === 0) {
        b.write('mirror', gfn - (gfn % span), level, make_nonleaf_spte(0x1000 + gfn / span));
        b.write('sept', gfn - (gfn % span), level, makeSeptEntry('NL_MAPPED', level, 0x2000 + gfn / span));
      }
    }
    const map = b.push({ kind: 'call', fn: 'kvm_tdp_mmu_map', anchor: 'kvm_tdp_mmu_map', parent: null, lock: 'read', vcpu: 0, root: 'mirror', gfn, level: 1 });
    const leaf = makeLeafSpte({ pfn: 0x100000 + gfn, level: 1, writable: true });
    b.addWrite('mirror', gfn, 1, 0x8000000000000000n, leaf);
    const set = b.push({ kind: 'call', fn: 'tdp_mmu_set_spte_atomic', anchor: 'tdp_mmu_map_handle_target_level.set_spte_atomic', parent: map, lock: 'read', vcpu: 0, root: 'mirror', gfn, level: 1, old_spte: 0x8000000000000000n, new_spte: leaf });
    const ext = b.push({ kind: 'call', fn: 'set_external_spte_present', anchor: '__tdp_mmu_set_spte_atomic.set_external_spte_present', parent: set, lock: 'read', vcpu: 0, root: 'mirror', gfn, level: 1 });
    const hook = b.push({ kind: 'hook', fn: 'set_external_spte', anchor: 'set_external_spte_present.set_external_spte', parent: ext, lock: 'read', vcpu: 0, gfn, level: 1, result: '0' });
    b.addWrite('sept', gfn, 1, 0n, makeSeptEntry('PENDING', 1, 0x100000 + gfn));
    b.push({ kind: 'seamcall', fn: 'TDH.MEM.PAGE.AUG', anchor: 'tdx_sept_set_private_spte.page_aug', parent: hook, lock: 'read', vcpu: 0, gfn, level: 1, result: 'TDX_SUCCESS', status: 0n });
  }
  return b.finish();
}

const ms = (t0: number) => performance.now() - t0;

const bench: Bench = (report) => {
  let t0 = performance.now();
  const rec = bigRecording();
  report.note(`built ${rec.length} events in ${ms(t0).toFixed(0)} ms (not the stepper's cost)`);

  t0 = performance.now();
  const s = new StepperSession(rec, { kind: 'scenario', path: 'bench' }, 'tdx');
  report.metric('open session (index pass over 1M events)', ms(t0), 'ms', 3000);

  t0 = performance.now();
  s.setFilter({ categories: ['hook', 'seamcall'], gfn: '' });
  report.metric('filter to hooks + SEAMCALLs', ms(t0), 'ms', 200);
  t0 = performance.now();
  s.setFilter({ categories: ['set_spte', 'hook', 'seamcall', 'kvm_bug', 'invariant', 'other'], gfn: '0x1234' });
  report.metric('search by GFN', ms(t0), 'ms', 200);
  s.setFilter({ categories: ['set_spte', 'hook', 'seamcall', 'kvm_bug', 'invariant', 'other'], gfn: '' });

  const rounds = 200;
  let rows = 0;
  t0 = performance.now();
  for (let i = 0; i < rounds; i++) rows += s.timeline.rows(Math.floor((i / rounds) * (rec.length - 100)), 100).length;
  report.metric('window of 100 timeline rows', ms(t0) / rounds, 'ms', 16);

  t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    s.seek(Math.floor(((i * 7919) % rounds) / rounds * rec.length), 'command');
    s.positionView(symbolicLocation);
  }
  report.metric('seek anywhere + position view', ms(t0) / rounds, 'ms', 16);

  s.seek(Math.floor(rec.length / 2), 'command');
  t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    s.navigate(i % 2 ? 'stepForward' : 'stepOver', 'command');
    s.positionView(symbolicLocation);
  }
  report.metric('step + position view', ms(t0) / rounds, 'ms', 16);
  const bytes = JSON.stringify(s.positionView(symbolicLocation)).length;
  report.metric('position message size', bytes / 1024, 'KiB', 64);
  report.note(`${rows} rows served`);
};

export default bench;
