// Which kernel tree simulator events link to. Pure (file tests injected) so it is unit tested.
// Order: the tdpMmuSim.kernelTree setting, a workspace folder holding arch/x86/kvm/mmu/tdp_mmu.c,
// the TDP_KERNEL_TREE environment variable. A tree we cannot use is reported, never guessed.
import * as path from 'path';

export const TDP_MMU_C = 'arch/x86/kvm/mmu/tdp_mmu.c';

export interface KernelTree {
  /** Absolute root of the tree (the folder holding arch/), undefined when there is none. */
  root?: string;
  from: 'setting' | 'workspace folder' | 'TDP_KERNEL_TREE' | 'none';
  /** Why the configured tree was not used. */
  problem?: string;
}

export interface KernelTreeInputs {
  /** tdpMmuSim.kernelTree as the user wrote it ('' = not set). */
  setting: string;
  /** Candidate roots in order: workspace folders first, then folders found deeper. */
  candidates: readonly string[];
  env: string | undefined;
  home: string;
  isFile(p: string): boolean;
}

export function resolveKernelTree(inp: KernelTreeInputs): KernelTree {
  let problem: string | undefined;
  const setting = inp.setting.trim();
  if (setting) {
    const base = inp.candidates[0];
    let p = setting.replace(/^~(?=$|[\\/])/, inp.home);
    if (p.includes('${workspaceFolder}')) {
      p = base ? p.split('${workspaceFolder}').join(base) : '';
    }
    if (!p) {
      problem = `tdpMmuSim.kernelTree "${setting}" uses \${workspaceFolder} but no folder is open`;
    } else if (!path.isAbsolute(p) && !base) {
      problem = `tdpMmuSim.kernelTree "${setting}" is relative but no folder is open`;
    } else {
      const root = path.resolve(base ?? '/', p);
      if (inp.isFile(path.join(root, TDP_MMU_C))) return { root, from: 'setting' };
      problem = `tdpMmuSim.kernelTree "${setting}" has no ${TDP_MMU_C} (looked in ${root})`;
    }
  }
  const found = inp.candidates.find((c) => inp.isFile(path.join(c, TDP_MMU_C)));
  if (found) return { root: found, from: 'workspace folder', problem };
  if (inp.env) {
    const root = path.resolve(inp.env);
    if (inp.isFile(path.join(root, TDP_MMU_C))) return { root, from: 'TDP_KERNEL_TREE', problem };
    problem ??= `TDP_KERNEL_TREE=${inp.env} has no ${TDP_MMU_C}`;
  }
  return { from: 'none', problem };
}
