// Finds the files the linker reads: from a kernel tree root (or its arch/x86/kvm directory),
// or a single C file whose role is told by its path.
import * as fs from 'fs';
import * as path from 'path';
import { ANCHORS, type KernelFile } from '../sim/anchors';

export const KVM_DIR = 'arch/x86/kvm';

/** Files read from a tree: the five the TDP MMU lives in, plus any other an anchor names. */
export const TREE_FILES: readonly KernelFile[] = [
  ...new Set<KernelFile>(['mmu/tdp_mmu.c', 'mmu/spte.h', 'mmu/tdp_iter.c', 'mmu/tdp_mmu.h', 'vmx/tdx.c', ...ANCHORS.map((a) => a.file)]),
];

/** Bad target: not a kernel tree, not a C file, unreadable. Message names the path. */
export class KernelTreeError extends Error {}

export type KernelTarget =
  | { kind: 'tree'; dir: string; kvmDir: string; files: Map<KernelFile, string>; missing: KernelFile[] }
  | { kind: 'file'; file: string; kernelFile: KernelFile; roleFromName: boolean };

export function locateKernelTarget(target: string): KernelTarget {
  let st: fs.Stats;
  try {
    st = fs.statSync(target);
  } catch (e) {
    throw new KernelTreeError(`${target}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  if (st.isDirectory()) {
    const kvmDir = [path.join(target, KVM_DIR), target].find((d) => isFile(path.join(d, 'mmu/tdp_mmu.c')));
    if (!kvmDir) {
      throw new KernelTreeError(`${target}: not a kernel tree (found neither ${KVM_DIR}/mmu/tdp_mmu.c nor mmu/tdp_mmu.c under it)`);
    }
    const files = new Map<KernelFile, string>();
    const missing: KernelFile[] = [];
    for (const kf of TREE_FILES) {
      const p = path.join(kvmDir, kf);
      if (isFile(p)) files.set(kf, p);
      else missing.push(kf);
    }
    return { kind: 'tree', dir: target, kvmDir, files, missing };
  }
  if (!/\.[ch]$/.test(target)) throw new KernelTreeError(`${target}: not a kernel tree or C file (expected a directory, or a .c/.h file)`);
  const role = kernelFileOf(target);
  return { kind: 'file', file: target, kernelFile: role ?? 'mmu/tdp_mmu.c', roleFromName: role !== undefined };
}

/** The kernel file a path plays: by its arch/x86/kvm/ suffix, else by its base name. */
export function kernelFileOf(file: string): KernelFile | undefined {
  const norm = file.split(path.sep).join('/');
  const bySuffix = TREE_FILES.find((kf) => norm.endsWith(`/${kf}`) || norm === kf);
  if (bySuffix) return bySuffix;
  const base = path.basename(file);
  return TREE_FILES.find((kf) => kf.endsWith(`/${base}`));
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
