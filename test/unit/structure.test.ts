// The layout rules of DEVELOPERS.md that code can check: no import circles among src/ and
// webview/ modules, and `vscode` imported only under src/extension/. Imports are read with the
// TypeScript compiler's own pre-processor (type-only imports count: they are circles for a reader).
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative imports of a file, resolved to files; and its bare module names. */
function importsOf(file: string): { local: string[]; modules: string[] } {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  const local: string[] = [];
  const modules: string[] = [];
  for (const ref of info.importedFiles) {
    const spec = ref.fileName;
    if (!spec.startsWith('.')) {
      modules.push(spec);
      continue;
    }
    const base = path.resolve(path.dirname(file), spec);
    const hit = [`${base}.ts`, path.join(base, 'index.ts'), base].find((p) => fs.existsSync(p) && fs.statSync(p).isFile());
    if (hit) local.push(hit);
  }
  return { local, modules };
}

/** One cycle per strongly connected component of more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1) out.push(comp.map((f) => path.relative(ROOT, f)).sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('source structure', () => {
  const files = [...sources(path.join(ROOT, 'src')), ...sources(path.join(ROOT, 'webview'))];
  const parsed = new Map(files.map((f) => [f, importsOf(f)]));

  it('has no import circles in src/ and webview/', () => {
    const graph = new Map([...parsed].map(([f, i]) => [f, i.local]));
    assert.deepEqual(cycles(graph), []);
  });

  it('finds a circle when there is one (the check itself works)', () => {
    const a = '/x/a.ts', b = '/x/b.ts', c = '/x/c.ts';
    assert.equal(cycles(new Map([[a, [b]], [b, [c]], [c, [a]]])).length, 1);
    assert.equal(cycles(new Map([[a, [b]], [b, [c]], [c, []]])).length, 0);
  });

  it('imports vscode only under src/extension/', () => {
    const offenders = [...parsed].filter(([f, i]) => i.modules.includes('vscode') && !f.startsWith(path.join(ROOT, 'src/extension') + path.sep));
    assert.deepEqual(offenders.map(([f]) => path.relative(ROOT, f)), []);
  });
});
