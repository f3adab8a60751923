// Read-only access to the kernel tree a patch is reviewed against. Files are only ever read;
// the post-patch text lives in memory (see series.ts).

import * as fs from 'fs';
import * as path from 'path';

export interface TreeFile {
  /** Path relative to the tree root, '/'-separated. */
  rel: string;
  text: string;
}

export interface KernelTreeReader {
  readonly root: string;
  /** The file a patch path names, or undefined when the tree has none. */
  read(patchPath: string): Promise<TreeFile | undefined>;
  /** C sources and headers whose base name without extension is one of `stems` (bounded walk). */
  findByStem(stems: readonly string[], signal?: AbortSignal): Promise<string[]>;
}

/** Most directory entries a stem search looks at: a whole kernel tree has ~90k files. */
const WALK_LIMIT = 250_000;

/**
 * A tree on disk. `root` may be the top of a kernel tree or a subdirectory of one (e.g.
 * …/arch/x86/kvm): a patch path "arch/x86/kvm/mmu/tdp_mmu.c" then loses the leading
 * components that the root's own path ends with.
 */
export function fsTree(root: string): KernelTreeReader {
  const abs = path.resolve(root);
  const rootParts = abs.split(path.sep).filter(Boolean);
  return {
    root: abs,
    async read(patchPath) {
      const parts = patchPath.split('/').filter((p) => p && p !== '.');
      if (parts.includes('..')) return undefined;
      for (let k = 0; k < parts.length; k++) {
        // Strip k leading components only when the root path ends with exactly them.
        if (k > 0 && rootParts.slice(-k).join('/') !== parts.slice(0, k).join('/')) continue;
        const rel = parts.slice(k).join('/');
        try {
          const text = await fs.promises.readFile(path.join(abs, ...parts.slice(k)), 'utf8');
          return { rel, text };
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
        }
      }
      return undefined;
    },
    async findByStem(stems, signal) {
      const want = new Set(stems);
      const out: string[] = [];
      let seen = 0;
      const walk = async (dir: string, rel: string): Promise<void> => {
        if (seen > WALK_LIMIT) return;
        signal?.throwIfAborted();
        let entries: fs.Dirent[];
        try {
          entries = await fs.promises.readdir(dir, { withFileTypes: true });
        } catch {
          return;
        }
        for (const e of entries) {
          seen++;
          if (e.name.startsWith('.')) continue;
          const r = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) await walk(path.join(dir, e.name), r);
          else if (/\.[ch]$/.test(e.name) && want.has(e.name.slice(0, -2))) out.push(r);
        }
      };
      await walk(abs, '');
      return out.sort();
    },
  };
}
