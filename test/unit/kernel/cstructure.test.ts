import { strict as assert } from 'assert';
import fc from 'fast-check';
import { isMacroName } from '../../../src/kernel/cstructure';
import { lineOf, readFixture, structureOf } from './helpers';

describe('kernel/cstructure: C structure of a file full of kernel macros', () => {
  const text = readFixture('single/macros.c');

  it('finds every function definition, static or not, with its lines and body', async () => {
    const s = await structureOf(text);
    assert.deepEqual(s.functions().map((f) => [f.name, f.isStatic]), [
      ['annotated_after_params', true], ['attr_before_type', true], ['must_check_and_loops', true],
      ['hook_forms', true], ['branches', true], ['under_ifdef', true], ['acquires_annotation', false],
    ]);
    const acq = s.functionsNamed('acquires_annotation')[0];
    assert.equal(acq.span.startLine, lineOf(text, 'void acquires_annotation('));
    assert.equal(acq.signature.endLine, lineOf(text, '__acquires(kvm->lock)'));
    assert.equal(acq.body.startLine, acq.signature.endLine + 1);
    assert.equal(acq.span.endLine, acq.body.endLine);
    assert.equal(s.functionAt(lineOf(text, 'marker_split(kvm)'))?.name, 'branches');
    assert.equal(s.functionAt(lineOf(text, 'DEFINE_STATIC_KEY_FALSE')), undefined);
  });

  it('lists forward declarations (several in one declaration too), never definitions or function pointers', async () => {
    const s = await structureOf(text);
    assert.deepEqual(s.prototypes().map((p) => [p.name, p.isStatic, p.span.startLine]), [
      ['forward_declared', true, lineOf(text, '*forward_declared(')],
      ['tdp_mmu_alloc_sp_for_split', true, lineOf(text, '*tdp_mmu_alloc_sp_for_split(')],
      ['exported_prototype', false, lineOf(text, 'int exported_prototype(')],
      ['second_prototype', false, lineOf(text, 'int exported_prototype(')],
    ]);
  });

  it('attributes calls to their function; signature annotations are not call sites', async () => {
    const s = await structureOf(text);
    const calls = (name: string) => s.callsIn(s.functionsNamed(name)[0]).map((c) => c.callee);
    assert.deepEqual(calls('annotated_after_params'), ['marker_annotated']);
    assert.deepEqual(calls('acquires_annotation'), ['container_of', 'marker_acquires']);
    assert.deepEqual(calls('under_ifdef'), ['marker_inner_ifdef']);
    // Loop macros parse as a call plus a block: the calls in the block stay intact.
    assert.deepEqual(calls('must_check_and_loops'), ['KVM_BUG_ON', 'is_shadow_present_pte', 'for_each_tdp_mmu_root_yield_safe', 'zap_one',
      'list_for_each_entry', 'marker_loop_body', 'guard', 'scoped_guard', 'marker_scoped', 'tdp_root_for_each_leaf_pte']);
    assert.ok(!s.calls().some((c) => c.callee === '__must_hold' || c.callee === '__acquires'));
  });

  it('reads every kvm_x86_ops hook form as one call of the hook', async () => {
    const s = await structureOf(text);
    const hooks = s.callsIn(s.functionsNamed('hook_forms')[0]).map((c) => [c.callee, c.via, c.span.startLine]);
    assert.deepEqual(hooks, [
      ['split_external_spt', 'kvm_x86_call', lineOf(text, 'kvm_x86_call(split_external_spt)')],
      ['link_external_spt', 'static_call', lineOf(text, 'static_call(kvm_x86_link_external_spt)')],
      ['free_external_spt', 'static_call', lineOf(text, 'static_call_cond(kvm_x86_free_external_spt)')],
      ['remove_external_spte', 'kvm_x86_ops', lineOf(text, 'kvm_x86_ops.remove_external_spte')],
      ['flush_one', 'indirect', lineOf(text, 'ops->flush_one')],
      ['WARN_ON_ONCE', 'direct', lineOf(text, 'WARN_ON_ONCE(kvm_x86_call')],
      ['set_external_spte', 'kvm_x86_call', lineOf(text, 'WARN_ON_ONCE(kvm_x86_call')],
    ]);
    const hook = s.calls().find((c) => c.callee === 'split_external_spt')!;
    assert.equal(hook.node.text, 'kvm_x86_call(split_external_spt)(kvm, gfn, level, spt)');
  });

  it('marks upper-case callees as macro calls', async () => {
    const s = await structureOf(text);
    assert.deepEqual(s.macroCalls(s.functionsNamed('branches')[0]).map((c) => c.callee), ['KVM_BUG_ON']);
    assert.deepEqual([...new Set(s.macroCalls().map((c) => c.callee))], ['KVM_BUG_ON', 'WARN_ON_ONCE']);
    assert.ok(isMacroName('WARN_ON_ONCE') && isMacroName('KVM_BUG_ON') && !isMacroName('lockdep_assert_held') && !isMacroName('__pa'));
  });

  it('finds if/else-if chains; the branch span ends with the then-branch', async () => {
    const s = await structureOf(text);
    const ifs = s.ifsIn(s.functionsNamed('branches')[0]);
    assert.deepEqual(ifs.map((i) => i.condition.text), [
      '(is_mirror_sptep(kvm->sptep))',
      '(!is_shadow_present_pte(new_spte))',
      '(is_last_spte(old_spte, level) && !is_last_spte(new_spte, level))',
    ]);
    const [outer, zap, split] = ifs;
    assert.equal(outer.branchSpan.endLine, lineOf(text, 'return 0;') - 1);
    assert.equal(zap.branchSpan.endLine, lineOf(text, 'marker_zap(kvm)'));
    assert.equal(zap.span.endLine, lineOf(text, 'KVM_BUG_ON(1, kvm)'));
    assert.ok(zap.alternative?.equals(split.node), 'the else of the first inner if is the else-if');
    assert.equal(split.alternative?.text, 'KVM_BUG_ON(1, kvm);', 'a comment after else is not the else branch');
  });

  it('reports the lines the parser could not read, and none for clean code', async () => {
    const s = await structureOf(text);
    const errs = (name: string) => s.parseErrorLines(s.functionsNamed(name)[0].node);
    assert.deepEqual(errs('hook_forms'), []);
    assert.ok(errs('must_check_and_loops').includes(lineOf(text, 'flush = zap_one(kvm, root) || flush;')));
    assert.ok(errs('annotated_after_params').includes(lineOf(text, '__must_hold')));
  });
});

// Random kernel-style files: functions whose bodies mix statements that trouble the C grammar,
// with top-level noise between them. Whatever the mix, every function is found once and its
// marker call is attributed to it and to no other function.
const BODY_SNIPPETS = [
  'if (KVM_BUG_ON(!is_shadow_present_pte(v), kvm))\n\t\treturn -EBUSY;',
  'for_each_tdp_mmu_root_yield_safe(kvm, root)\n\t\tflush = zap(kvm, root) || flush;',
  'list_for_each_entry(root, &kvm->roots, link) {\n\t\tif (root->invalid)\n\t\t\tcontinue;\n\t}',
  'for_each_tdp_pte_min_level(iter, kvm, root, PG_LEVEL_4K, start, end) {\nretry:\n\t\tif (x)\n\t\t\tgoto retry;\n\t}',
  'guard(rcu)();',
  'scoped_guard(spinlock, &kvm->lock) {\n\t\ty++;\n\t}',
  'r = kvm_x86_call(set_external_spte)(kvm, gfn, level, pfn);',
  'r = static_call(kvm_x86_link_external_spt)(kvm, gfn, level, spt);',
  'sp = container_of(head, struct kvm_mmu_page, rcu_head);',
  '#ifdef CONFIG_X\n\tz();\n#endif',
  'x = ({ int __y = 1; __y; });',
  'WARN_ON_ONCE(iter->yielded || is_frozen_spte(iter->old_spte));',
  'lockdep_assert_held_write(&kvm->mmu_lock);',
  '/* a comment with { braces ( and parens */',
];
const TOP_NOISE = ['', 'EXPORT_SYMBOL_GPL(foo);', 'DEFINE_STATIC_KEY_FALSE(key);', 'static DEFINE_MUTEX(lock);', '/* } stray brace in a comment */', 'static void *declared(gfn_t gfn);'];
const PREFIXES = ['static void', 'static inline int __must_check', 'static __always_inline bool', 'int', 'static u64'];
const SUFFIXES = ['', ' __must_hold(&kvm->mmu_lock)', '\n\t__acquires(kvm->lock)'];

describe('kernel/cstructure: property over random macro-laden files', () => {
  it('every function is found once and owns exactly its own marker call', async () => {
    const fnArb = fc.record({
      prefix: fc.constantFrom(...PREFIXES),
      suffix: fc.constantFrom(...SUFFIXES),
      before: fc.array(fc.constantFrom(...BODY_SNIPPETS), { maxLength: 4 }),
      after: fc.array(fc.constantFrom(...BODY_SNIPPETS), { maxLength: 4 }),
      noise: fc.constantFrom(...TOP_NOISE),
      ifdef: fc.boolean(),
    });
    await fc.assert(fc.asyncProperty(fc.array(fnArb, { minLength: 1, maxLength: 6 }), async (fns) => {
      const text = fns.map((f, i) => {
        const def = `${f.prefix} fn_${i}(struct kvm *kvm, u64 v)${f.suffix}\n{\n\t${[...f.before, `marker_${i}(kvm);`, ...f.after].join('\n\t')}\n}\n`;
        return `${f.noise}\n${f.ifdef ? `#ifdef CONFIG_FN_${i}\n${def}#endif\n` : def}`;
      }).join('\n');
      const s = await structureOf(text);
      for (let i = 0; i < fns.length; i++) {
        const defs = s.functionsNamed(`fn_${i}`);
        assert.equal(defs.length, 1, `fn_${i} found ${defs.length} times in\n${text}`);
        const markers = s.callsIn(defs[0]).filter((c) => c.callee.startsWith('marker_')).map((c) => c.callee);
        assert.deepEqual(markers, [`marker_${i}`], text);
      }
      s.tree.delete();
    }), { numRuns: 150 });
  });
});
