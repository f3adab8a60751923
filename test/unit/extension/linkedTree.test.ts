import * as assert from 'assert';
import { TDP_MMU_C, resolveKernelTree, KernelTreeInputs } from '../../../src/extension/linkedTree';

const trees = new Set(['/src/linux', '/home/me/linux', '/work/ws/linux', '/env/tree'].map((t) => `${t}/${TDP_MMU_C}`));
const inputs = (over: Partial<KernelTreeInputs>): KernelTreeInputs => ({
  setting: '', candidates: [], env: undefined, home: '/home/me', isFile: (p) => trees.has(p), ...over,
});

describe('kernel tree resolution', () => {
  it('uses the setting: absolute, ~, relative to and ${workspaceFolder} of the first folder', () => {
    assert.deepStrictEqual(resolveKernelTree(inputs({ setting: '/src/linux' })), { root: '/src/linux', from: 'setting' });
    assert.deepStrictEqual(resolveKernelTree(inputs({ setting: '~/linux' })), { root: '/home/me/linux', from: 'setting' });
    assert.deepStrictEqual(resolveKernelTree(inputs({ setting: 'linux', candidates: ['/work/ws'] })), { root: '/work/ws/linux', from: 'setting' });
    assert.deepStrictEqual(resolveKernelTree(inputs({ setting: '${workspaceFolder}/linux/', candidates: ['/work/ws'] })), { root: '/work/ws/linux', from: 'setting' });
  });

  it('reports a setting without tdp_mmu.c and falls back to a workspace folder that has it', () => {
    const r = resolveKernelTree(inputs({ setting: '/nope', candidates: ['/x', '/src/linux'] }));
    assert.strictEqual(r.root, '/src/linux');
    assert.strictEqual(r.from, 'workspace folder');
    assert.strictEqual(r.problem, `tdpMmuSim.kernelTree "/nope" has no ${TDP_MMU_C} (looked in /nope)`);
  });

  it('reports relative settings and ${workspaceFolder} without an open folder', () => {
    assert.match(resolveKernelTree(inputs({ setting: 'linux' })).problem!, /is relative but no folder is open/);
    assert.match(resolveKernelTree(inputs({ setting: '${workspaceFolder}/linux' })).problem!, /no folder is open/);
  });

  it('without a setting: first workspace folder with tdp_mmu.c, then TDP_KERNEL_TREE, else none', () => {
    assert.deepStrictEqual(resolveKernelTree(inputs({ candidates: ['/a', '/home/me/linux', '/src/linux'], env: '/env/tree' })),
      { root: '/home/me/linux', from: 'workspace folder', problem: undefined });
    assert.deepStrictEqual(resolveKernelTree(inputs({ candidates: ['/a'], env: '/env/tree' })),
      { root: '/env/tree', from: 'TDP_KERNEL_TREE', problem: undefined });
    assert.deepStrictEqual(resolveKernelTree(inputs({ candidates: ['/a'], env: '/a' })),
      { from: 'none', problem: `TDP_KERNEL_TREE=/a has no ${TDP_MMU_C}` });
    assert.deepStrictEqual(resolveKernelTree(inputs({})), { from: 'none', problem: undefined });
  });
});
