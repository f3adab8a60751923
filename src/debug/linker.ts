// The debug adapter's AnchorLocator over the real source linker (src/kernel/): a kernel tree is
// parsed once per launch and every anchor resolved for the recording's profile. Absent and
// ambiguous anchors stay missing, with the linker's reason; nothing is placed by guessing.
import * as path from 'path';
import { KernelLinker } from '../kernel/linker';
import { KVM_DIR, kernelFileOf } from '../kernel/tree-files';
import type { ProfileName } from '../sim/types';
import type { AnchorLocator, AnchorLookup } from './locator';

export async function treeLocator(tree: string, profile: ProfileName, wasmDir?: string): Promise<AnchorLocator> {
  const linker = await KernelLinker.open(tree, { wasmDir });
  try {
    const report = linker.resolveAll({ profile });
    const byId = new Map<string, AnchorLookup>();
    for (const r of report.resolutions) {
      byId.set(r.anchor, r.status === 'found'
        ? { status: 'found', location: { file: path.resolve(r.location.file), startLine: r.location.startLine, endLine: r.location.endLine } }
        : r.status === 'absent'
          ? { status: 'missing', reason: r.reason }
          : { status: 'missing', reason: `ambiguous in this tree: ${r.reason} (lines ${r.candidates.map((c) => c.startLine).join(', ')})` });
    }
    return {
      tree: path.resolve(tree),
      locate: (id) => byId.get(id) ?? { status: 'missing', reason: `unknown anchor '${id}'` },
    };
  } finally {
    linker.dispose();
  }
}

/** The tree root of a kernel file, judged from its path ending in arch/x86/kvm/<known file>. */
export function treeOfFile(file: string): string | undefined {
  const kf = kernelFileOf(file);
  if (!kf) return undefined;
  const suffix = `/${KVM_DIR}/${kf}`;
  const norm = path.resolve(file).split(path.sep).join('/');
  return norm.endsWith(suffix) ? norm.slice(0, -suffix.length) || '/' : undefined;
}
