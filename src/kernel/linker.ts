// The source linker: a set of parsed kernel files, its detected profile, and every anchor
// resolved to lines. Files can be edited in memory (editor buffers, patched text) and the
// anchors re-resolved; parsing is incremental.
import * as fs from 'fs';
import { ANCHORS, anchorById, type Anchor, type KernelFile } from '../sim/anchors';
import type { ProfileName } from '../sim/types';
import { KernelTreeError, locateKernelTarget, type KernelTarget } from './tree-files';
import { loadCParser, type CParser } from './parser';
import { detectProfile, type DetectedProfile } from './profile';
import { resolveAnchor, type FileLookup, type Resolution } from './resolve';
import { SourceFile, type TextChange } from './source-file';

export interface LinkOptions {
  /** Use this profile instead of the detected one (the detection is still reported). */
  profile?: ProfileName;
  /** Resolve only these anchors (default: all of ANCHORS). */
  anchors?: readonly Anchor[];
}

export interface LinkReport {
  /** What was loaded: a tree (with the files it lacks) or a single file. */
  origin:
    | { kind: 'tree'; dir: string; missing: KernelFile[] }
    /** roleFromName false: the file name did not tell its role and mmu/tdp_mmu.c was assumed. */
    | { kind: 'file'; file: string; kernelFile: KernelFile; roleFromName: boolean };
  files: { kernelFile: KernelFile; file: string }[];
  detected: DetectedProfile;
  /** The profile used to tell expected from unexpected absence (forced or detected). */
  profile: ProfileName | undefined;
  resolutions: Resolution[];
}

export class KernelLinker {
  private readonly files = new Map<KernelFile, SourceFile>();
  private detected?: DetectedProfile;

  private constructor(
    private readonly cparser: CParser,
    private readonly origin: LinkReport['origin'],
  ) {}

  /** Load a kernel tree root, its arch/x86/kvm directory, or one C file. Throws
   *  KernelTreeError (naming the path) when it is none of these or cannot be read. */
  static async open(target: string, opts: { wasmDir?: string } = {}): Promise<KernelLinker> {
    const located = locateKernelTarget(target);
    const linker = new KernelLinker(await loadCParser(opts.wasmDir), originOf(located));
    const entries: [KernelFile, string][] = located.kind === 'tree' ? [...located.files] : [[located.kernelFile, located.file]];
    for (const [kf, file] of entries) {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (e) {
        throw new KernelTreeError(`${file}: cannot read: ${(e as Error).message}`);
      }
      linker.files.set(kf, new SourceFile(linker.cparser, file, kf, text));
    }
    return linker;
  }

  /** Link in-memory texts (a patched file, an unsaved editor buffer): `name` is shown as the file. */
  static fromTexts(cparser: CParser, texts: readonly { kernelFile: KernelFile; text: string; name: string }[]): KernelLinker {
    const origin: LinkReport['origin'] = texts.length === 1
      ? { kind: 'file', file: texts[0].name, kernelFile: texts[0].kernelFile, roleFromName: true }
      : { kind: 'tree', dir: '(in memory)', missing: [] };
    const linker = new KernelLinker(cparser, origin);
    for (const t of texts) linker.files.set(t.kernelFile, new SourceFile(cparser, t.name, t.kernelFile, t.text));
    return linker;
  }

  file(kernelFile: KernelFile): SourceFile | undefined {
    return this.files.get(kernelFile);
  }

  /** The loaded file with this path (as given to open/fromTexts), if any. */
  fileByPath(file: string): SourceFile | undefined {
    return [...this.files.values()].find((f) => f.path === file);
  }

  detectProfile(): DetectedProfile {
    return (this.detected ??= detectProfile(this.lookup));
  }

  resolve(anchor: Anchor | string, profile?: ProfileName): Resolution {
    const a = typeof anchor === 'string' ? anchorById(anchor) : anchor;
    if (!a) throw new Error(`unknown anchor id '${String(anchor)}'`);
    return resolveAnchor(a, this.lookup, profile ?? this.detectProfile().profile);
  }

  resolveAll(opts: LinkOptions = {}): LinkReport {
    const detected = this.detectProfile();
    const profile = opts.profile ?? detected.profile;
    return {
      origin: this.origin,
      files: [...this.files.values()].map((f) => ({ kernelFile: f.kernelFile, file: f.path })),
      detected,
      profile,
      resolutions: (opts.anchors ?? ANCHORS).map((a) => resolveAnchor(a, this.lookup, profile)),
    };
  }

  /** New text for a loaded file (whole text, or editor changes); the next resolve sees it. */
  updateFile(which: KernelFile | SourceFile, update: string | readonly TextChange[]): void {
    const f = typeof which === 'string' ? this.files.get(which) : which;
    if (!f || this.files.get(f.kernelFile) !== f) throw new Error(`updateFile: ${typeof which === 'string' ? which : which.path} is not loaded`);
    if (typeof update === 'string') f.setText(update);
    else f.applyChanges(update);
    this.detected = undefined;
  }

  dispose(): void {
    for (const f of this.files.values()) f.dispose();
    this.files.clear();
  }

  private readonly lookup: FileLookup = (kf) => {
    const f = this.files.get(kf);
    if (f) return f;
    if (this.origin.kind === 'file') return { missing: `${kf} is not loaded (linking the single file ${this.origin.file})` };
    return { missing: `${kf} does not exist in this tree (${this.origin.dir})` };
  };
}

function originOf(t: KernelTarget): LinkReport['origin'] {
  return t.kind === 'tree'
    ? { kind: 'tree', dir: t.dir, missing: t.missing }
    : { kind: 'file', file: t.file, kernelFile: t.kernelFile, roleFromName: t.roleFromName };
}
