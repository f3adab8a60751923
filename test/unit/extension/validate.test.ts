import * as assert from 'assert';
import fc from 'fast-check';
import { validatePersistedState, validateWebviewMessage } from '../../../src/extension/stepper/validate';
import { FILTER_CATEGORIES, MAX_ROWS_PER_REQUEST, NAV_ACTIONS } from '../../../src/extension/stepper/protocol';

const validMessage = fc.oneof(
  fc.constant({ type: 'ready' }),
  fc.constantFrom(...NAV_ACTIONS).map((action) => ({ type: 'navigate', action })),
  fc.nat({ max: 0x7fffffff }).map((seq) => ({ type: 'seek', seq })),
  fc.nat({ max: 0x7fffffff }).map((index) => ({ type: 'seekRow', index })),
  fc.record({ start: fc.nat({ max: 0x7fffffff }), count: fc.nat({ max: MAX_ROWS_PER_REQUEST }) }).map((r) => ({ type: 'rows', ...r })),
  fc.record({
    categories: fc.uniqueArray(fc.constantFrom(...FILTER_CATEGORIES)),
    gfn: fc.string({ maxLength: 40 }),
  }).map((filter) => ({ type: 'filter', filter })),
  fc.record({ seq: fc.nat({ max: 0x7fffffff }), frame: fc.nat({ max: 256 }) }, { requiredKeys: ['seq'] }).map((r) => ({ type: 'reveal', ...r })),
);

describe('stepper webview message validation', () => {
  it('accepts every well-formed message', () => {
    fc.assert(fc.property(validMessage, (m) => {
      const r = validateWebviewMessage(m);
      assert.ok(r.ok, !r.ok ? r.error : '');
      assert.deepStrictEqual(r.ok && r.value, m);
    }));
  });

  it('rejects unknown message types and names the problem', () => {
    const r = validateWebviewMessage({ type: 'runShell', cmd: 'rm -rf /' });
    assert.strictEqual(r.ok, false);
    assert.match(!r.ok ? r.error : '', /type/);
  });

  it('rejects non-objects without throwing', () => {
    for (const raw of [null, undefined, 42, 'ready', [], [{ type: 'ready' }], true]) {
      const r = validateWebviewMessage(raw);
      assert.strictEqual(r.ok, false, `accepted ${JSON.stringify(raw)}`);
    }
  });

  it('rejects extra fields, wrong types and out-of-range numbers with the field name', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ type: 'ready', extra: 1 }, /extra/],
      [{ type: 'seek', seq: -1 }, /message\.seq/],
      [{ type: 'seek', seq: 1.5 }, /message\.seq must be integer/],
      [{ type: 'seek', seq: '12' }, /message\.seq/],
      [{ type: 'seek' }, /seq/],
      [{ type: 'seekRow', index: 2 ** 31 }, /message\.index/],
      [{ type: 'reveal', seq: 3, frame: -1 }, /message\.frame/],
      [{ type: 'reveal', seq: 3, frame: 257 }, /message\.frame/],
      [{ type: 'rows', start: 0, count: MAX_ROWS_PER_REQUEST + 1 }, /message\.count/],
      [{ type: 'navigate', action: 'reverseTime' }, /message\.action .*stepForward/],
      [{ type: 'filter', filter: { categories: ['set_spte', 'set_spte'], gfn: '' } }, /categories/],
      [{ type: 'filter', filter: { categories: ['bogus'], gfn: '' } }, /categories/],
      [{ type: 'filter', filter: { categories: [], gfn: 'x'.repeat(41) } }, /message\.filter\.gfn/],
      [{ type: 'filter', filter: { categories: [] } }, /gfn/],
    ];
    for (const [raw, re] of cases) {
      const r = validateWebviewMessage(raw);
      assert.strictEqual(r.ok, false, `accepted ${JSON.stringify(raw)}`);
      assert.match(!r.ok ? r.error : '', re, JSON.stringify(raw));
    }
  });

  it('never throws and only accepts known shapes for arbitrary JSON', () => {
    fc.assert(fc.property(fc.jsonValue(), (raw) => {
      const r = validateWebviewMessage(raw);
      if (r.ok) {
        const t = (raw as { type: string }).type;
        assert.ok(['ready', 'navigate', 'seek', 'seekRow', 'rows', 'filter', 'reveal'].includes(t));
      } else {
        assert.ok(r.error.length > 0);
      }
    }));
  });
});

describe('persisted webview state validation', () => {
  const good = {
    source: { kind: 'scenario', path: '/ws/scenarios/split.tdpsim.yaml', profile: 'hugepage-rfc-v2' },
    seq: 12,
    filter: { categories: ['hook'], gfn: '0x200' },
    scrollTop: 340,
  };

  it('accepts what the webview saves', () => {
    assert.deepStrictEqual(validatePersistedState(good), { ok: true, value: good });
    const trace = { ...good, source: { kind: 'trace', path: '/ws/smm.ftrace.txt', addressSpace: 'vm/as1' } };
    assert.deepStrictEqual(validatePersistedState(trace), { ok: true, value: trace });
    const whatIf = { ...good, source: { kind: 'scenario', path: '/ws/s.tdpsim.yaml', profile: 'mainline', whatIf: { loadAs: 'hugepage-rfc-v2', switches: { privateMaxLevel: 2, setSpteMirrorPresent: 'split' } } } };
    assert.deepStrictEqual(validatePersistedState(whatIf), { ok: true, value: whatIf });
  });

  it('rejects a tampered or stale state with a reason', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ ...good, source: { kind: 'url', path: 'http://x' } }, /saved state\.source\.kind/],
      [{ ...good, source: { ...good.source, profile: 'v6.99' } }, /profile/],
      [{ ...good, seq: -3 }, /saved state\.seq/],
      [{ ...good, filter: undefined }, /filter/],
      [{ ...good, source: { kind: 'scenario', path: '' } }, /path/],
      [{ ...good, source: { kind: 'trace', path: '/t.txt', addressSpace: '' } }, /saved state\.source\.addressSpace must NOT have fewer than 1 characters/],
      [{ ...good, source: { ...good.source, addressSpace: 'vm/as1' } }, /saved state\.source\.addressSpace/],
      [{ ...good, source: { ...good.source, whatIf: { loadAs: 'mainline', switches: { privateMaxLevel: 9 } } } }, /saved state\.source\.whatIf\.switches\.privateMaxLevel must be equal to one of the allowed values \(1, 2, 3\)/],
      [{ ...good, source: { ...good.source, whatIf: { loadAs: 'mainline', switches: { bugged: true } } } }, /saved state\.source\.whatIf\.switches must NOT have additional properties 'bugged'/],
      [{ ...good, source: { kind: 'scenario', path: '/s.yaml', whatIf: { loadAs: 'mainline', switches: {} } } }, /saved state\.source must have property profile when property whatIf is present/],
      [{ ...good, source: { kind: 'trace', path: '/t.txt', whatIf: { loadAs: 'mainline', switches: {} } } }, /saved state\.source\.whatIf/],
    ];
    for (const [raw, re] of bad) {
      const r = validatePersistedState(raw);
      assert.strictEqual(r.ok, false);
      assert.match(!r.ok ? r.error : '', re);
    }
  });
});
