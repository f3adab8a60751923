import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as esbuild from 'esbuild';
import { KernelLinker } from '../../../src/kernel/linker';
import { KernelTreeError, kernelFileOf, locateKernelTarget } from '../../../src/kernel/tree-files';
import { C_GRAMMAR_WASM, RUNTIME_WASM, loadCParser, wasmPaths } from '../../../src/kernel/parser';
import { FIXTURES, fixtureFile, fixtureTree } from './helpers';

describe('kernel/tree-files: what a path is', () => {
  it('a tree root, its arch/x86/kvm directory, or a C file', () => {
    const root = locateKernelTarget(fixtureTree('pre-tdx'));
    assert.equal(root.kind, 'tree');
    assert.deepEqual(root.kind === 'tree' && [[...root.files.keys()], root.missing],
      [['mmu/tdp_mmu.c', 'mmu/spte.h', 'mmu/tdp_iter.c', 'mmu/tdp_mmu.h'], ['vmx/tdx.c']]);
    const kvmDir = locateKernelTarget(path.join(fixtureTree('mainline'), 'arch/x86/kvm'));
    assert.equal(kvmDir.kind === 'tree' && kvmDir.files.size, 5);
    const tdx = locateKernelTarget(path.join(fixtureTree('mainline'), 'arch/x86/kvm/vmx/tdx.c'));
    assert.deepEqual(tdx.kind === 'file' && [tdx.kernelFile, tdx.roleFromName], ['vmx/tdx.c', true]);
    const other = locateKernelTarget(fixtureFile('macros.c'));
    assert.deepEqual(other.kind === 'file' && [other.kernelFile, other.roleFromName], ['mmu/tdp_mmu.c', false]);
    assert.equal(kernelFileOf('/x/y/arch/x86/kvm/mmu/spte.h'), 'mmu/spte.h');
    assert.equal(kernelFileOf('tdp_iter.c'), 'mmu/tdp_iter.c');
    assert.equal(kernelFileOf('patched-tdp_mmu.c'), undefined);
  });

  it('anything else is a KernelTreeError naming the path', () => {
    const bad = (p: string, re: RegExp) => assert.throws(() => locateKernelTarget(p), (e: unknown) => e instanceof KernelTreeError && re.test((e as Error).message));
    bad(path.join(FIXTURES, 'nope'), /fixtures\/kernel\/nope: no such file or directory$/);
    bad(FIXTURES, /fixtures\/kernel: not a kernel tree \(found neither arch\/x86\/kvm\/mmu\/tdp_mmu.c nor mmu\/tdp_mmu.c under it\)/);
    bad(path.resolve(__dirname, 'helpers.ts'), /helpers.ts: not a kernel tree or C file \(expected a directory, or a .c\/.h file\)/);
  });
});

describe('kernel/linker: opening trees and files', () => {
  it('reads each file once and reports what it loaded', async () => {
    const linker = await KernelLinker.open(fixtureTree('hugepage-rfc-v2'));
    const report = linker.resolveAll();
    assert.deepEqual(report.origin, { kind: 'tree', dir: fixtureTree('hugepage-rfc-v2'), missing: [] });
    assert.deepEqual(report.files.map((f) => f.kernelFile), ['mmu/tdp_mmu.c', 'mmu/spte.h', 'mmu/tdp_iter.c', 'mmu/tdp_mmu.h', 'vmx/tdx.c']);
    assert.equal(linker.fileByPath(path.join(fixtureTree('hugepage-rfc-v2'), 'arch/x86/kvm/vmx/tdx.c'))?.kernelFile, 'vmx/tdx.c');
    linker.dispose();
  });

  it('--profile style override changes what counts as expected, not what is found', async () => {
    const linker = await KernelLinker.open(fixtureTree('mainline'));
    const asRfc = linker.resolveAll({ profile: 'hugepage-rfc-v2' });
    assert.equal(asRfc.profile, 'hugepage-rfc-v2');
    assert.equal(asRfc.detected.profile, 'mainline');
    const split = asRfc.resolutions.find((r) => r.anchor === 'tdp_mmu_set_spte.split_external_spt')!;
    assert.deepEqual(split.status === 'absent' && [split.cause, split.expected], ['missing', false]);
    const onlySome = linker.resolveAll({ anchors: [] });
    assert.deepEqual(onlySome.resolutions, []);
    linker.dispose();
  });

  it('an unreadable file in a tree is a KernelTreeError naming it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdp-link-'));
    const f = path.join(dir, 'arch/x86/kvm/mmu/tdp_mmu.c');
    fs.mkdirSync(path.dirname(f), { recursive: true });
    // Root reads any file: there, a file whose read fails (EIO) stands in for "no permission".
    if (process.getuid?.() === 0) fs.symlinkSync('/proc/self/mem', f);
    else fs.writeFileSync(f, 'int x;\n', { mode: 0 });
    await assert.rejects(KernelLinker.open(dir), (e: unknown) => e instanceof KernelTreeError && /tdp_mmu.c: cannot read: E(IO|ACCES)/.test((e as Error).message));
    fs.rmSync(dir, { recursive: true });
  });
});

describe('kernel/parser: the two .wasm files', () => {
  it('are found in node_modules by default', async () => {
    const p = wasmPaths();
    assert.ok(fs.existsSync(p.runtime) && p.runtime.endsWith(path.join('web-tree-sitter', RUNTIME_WASM)));
    assert.ok(fs.existsSync(p.grammar) && p.grammar.endsWith(path.join('tree-sitter-c', C_GRAMMAR_WASM)));
    const c = await loadCParser();
    assert.equal(c.parser.parse('int f(void) { return 0; }')!.rootNode.hasError, false);
  });

  it('a missing copy names both files and where they were looked for', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdp-wasm-'));
    await assert.rejects(loadCParser(dir), new RegExp(`${dir}/tree-sitter.wasm is missing \\(copy tree-sitter.wasm and tree-sitter-c.wasm next to each other`));
    fs.rmSync(dir, { recursive: true });
  });

  // The runtime initialises once per process, so the copied-location case runs in a fresh one,
  // as a bundled extension would: only the copied directory is given.
  const inFreshProcess = (dir: string): string => execFileSync(process.execPath, ['-r', 'tsx/cjs', '-e', `
    require(${JSON.stringify(path.resolve(__dirname, '../../../src/kernel/parser'))}).loadCParser(${JSON.stringify(dir)})
      .then((c) => { process.stdout.write(String(c.parser.parse('void f(void) { g(); }').rootNode.descendantsOfType('call_expression').length)); },
            (e) => { process.stdout.write('error: ' + e.message); });`], { encoding: 'utf8', cwd: path.resolve(__dirname, '../../..') });

  it('load from a copied directory (as bundled into dist/), and really from there', function () {
    this.timeout(60000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdp-wasm-'));
    const p = wasmPaths();
    fs.copyFileSync(p.runtime, path.join(dir, RUNTIME_WASM));
    fs.copyFileSync(p.grammar, path.join(dir, C_GRAMMAR_WASM));
    assert.equal(inFreshProcess(dir), '1');
    fs.writeFileSync(path.join(dir, RUNTIME_WASM), 'not wasm');
    assert.equal(inFreshProcess(dir), `error: tree-sitter: ${dir}/tree-sitter.wasm is not a valid WebAssembly module (reinstall, or copy it again)`,
      'a broken runtime copy is read, so it is the one loaded; and it is an error, not a crash');
    fs.rmSync(dir, { recursive: true });
  });

  it('work from an esbuild CommonJS bundle with the two .wasm copied next to it, away from node_modules', function () {
    this.timeout(60000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdp-bundle-'));
    const entry = path.join(dir, 'entry.ts');
    fs.writeFileSync(entry, `import { KernelLinker } from ${JSON.stringify(path.resolve(__dirname, '../../../src/kernel/linker'))};
KernelLinker.open(process.argv[2], { wasmDir: __dirname }).then((l) => process.stdout.write(String(l.detectProfile().profile)), (e) => process.stdout.write('error: ' + e.message));`);
    esbuild.buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: path.join(dir, 'dist/out.js'), logLevel: 'silent' });
    const p = wasmPaths();
    fs.copyFileSync(p.runtime, path.join(dir, 'dist', RUNTIME_WASM));
    fs.copyFileSync(p.grammar, path.join(dir, 'dist', C_GRAMMAR_WASM));
    const out = execFileSync(process.execPath, [path.join(dir, 'dist/out.js'), fixtureTree('hugepage-rfc-v2')], { encoding: 'utf8', cwd: dir });
    assert.equal(out, 'hugepage-rfc-v2');
    fs.rmSync(dir, { recursive: true });
  });
});
