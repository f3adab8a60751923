// Shared helpers for the review-aid tests: fixture paths and reading.
import * as fs from 'fs';
import * as path from 'path';

export const FIXTURES = path.resolve(__dirname, '../../fixtures/patch');
export const FIXTURE_TREE = path.join(FIXTURES, 'tree');

export function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, name));
}

export function fixtureText(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** The 1-based line `n` of a fixture, as the user sees it in an editor. */
export function fixtureLine(name: string, n: number): string {
  return fixtureText(name).split('\n')[n - 1];
}

/** An in-memory kernel tree (tests never write files to review against). */
export function memoryTree(files: Record<string, string>, root = '(memory)'): import('../../../src/patch/tree').KernelTreeReader {
  return {
    root,
    async read(p: string) {
      return p in files ? { rel: p, text: files[p] } : undefined;
    },
    async findByStem(stems: readonly string[]) {
      return Object.keys(files).filter((p) => stems.includes(p.split('/').pop()!.replace(/\.[ch]$/, '')));
    },
  };
}

/** The fixture tree's files, by patch path. */
export function fixtureTreeFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of ['arch/x86/kvm/mmu/tdp_mmu.c', 'arch/x86/include/asm/kvm_host.h', 'arch/x86/include/asm/kvm-x86-ops.h']) {
    out[p] = fs.readFileSync(path.join(FIXTURE_TREE, p), 'utf8');
  }
  return out;
}

/** A format-patch style mail changing files from `before` to `after` (diff made by jsdiff). */
export function makePatch(subject: string, changelog: string, changes: { path: string; before: string; after: string }[]): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { structuredPatch } = require('diff') as typeof import('diff');
  const out = ['From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001', 'From: Test Author <test@example.org>', 'Date: Mon, 1 Sep 2025 10:00:00 +0000', `Subject: ${subject}`, '', changelog, '', 'Signed-off-by: Test Author <test@example.org>', '---', ''];
  for (const c of changes) {
    const sp = structuredPatch(c.path, c.path, c.before, c.after, '', '', { context: 3 });
    out.push(`diff --git a/${c.path} b/${c.path}`, `--- a/${c.path}`, `+++ b/${c.path}`);
    for (const h of sp.hunks) {
      out.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
      out.push(...h.lines);
    }
  }
  out.push('-- ', '2.43.0', '');
  return out.join('\n');
}
