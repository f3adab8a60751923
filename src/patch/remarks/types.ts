// The contract of a review check. A check is a small module: an id, a title, and a function
// from the parsed patch plus the parsed post-patch code to remarks. Register it in ./index.ts.

import type { CStructure } from '../../kernel/cstructure';
import type { PatchMail } from '../message';
import type { AppliedFile } from '../series';

/** One file of the patch, applied, with its code parsed on demand (tree-sitter, via the linker). */
export interface ReviewedFile {
  applied: AppliedFile;
  /** Post-patch lines that the patch added. */
  added: ReadonlySet<number>;
  /** Pre-patch lines that the patch removed. */
  removed: ReadonlySet<number>;
  /** Parsed post-patch text (undefined for files that are not C). */
  post(): CStructure | undefined;
  pre(): CStructure | undefined;
}

/** A file the patch does not touch, as it is in the tree (after earlier patches of the series). */
export interface OtherFile {
  path: string;
  text: string;
  structure: CStructure;
}

export interface CheckContext {
  patch: PatchMail;
  files: readonly ReviewedFile[];
  /** The file at `path` after this patch: a touched file's post text, else the tree's. */
  fileAfter(path: string): OtherFile | undefined;
  /** Kernel functions and kvm_x86_ops hooks the simulator knows by name. */
  knownFunctions: ReadonlySet<string>;
  /** True when files came from a kernel tree (false: only the hunks were seen). */
  hasTree: boolean;
}

export interface RemarkDraft {
  /** Path (as in the patch) of the post-patch file the remark is about; absent for remarks on
   *  the changelog, whose `line` is then a line of the input (patch or mail). */
  file?: string;
  /** 1-based line in the post-patch file (or in the input when `file` is absent). */
  line: number;
  /** What to change, as a reviewer would write it. */
  message: string;
  /** Why: the rule or the code facts behind the remark. */
  reason: string;
}

export interface ReviewCheck {
  id: string;
  title: string;
  /** Files (patch paths) the check reads even when the patch does not touch them. */
  needs?: readonly string[];
  run(ctx: CheckContext): RemarkDraft[];
}
