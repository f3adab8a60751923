// Source linker speed: all anchors resolved in a ~2,000-line tdp_mmu.c, warm (parser loaded).
// Uses Debian's 6.12 tdp_mmu.c from the real-tree cache when present, else a synthetic file of
// the same size built from our RFC fixture (its functions, then renamed copies as padding).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Bench } from './run';
import { KernelLinker } from '../src/kernel/linker';
import { loadCParser } from '../src/kernel/parser';

const REAL = path.join(process.env.TDP_SIM_CACHE ?? path.join(os.homedir(), '.cache/tdp-mmu-sim'), 'linux-6.12/arch/x86/kvm/mmu/tdp_mmu.c');
const FIXTURE = path.resolve(__dirname, '../test/fixtures/kernel/hugepage-rfc-v2/arch/x86/kvm/mmu/tdp_mmu.c');

function synthetic(lines: number): string {
  const base = fs.readFileSync(FIXTURE, 'utf8');
  let text = base;
  for (let i = 1; text.split('\n').length < lines; i++) {
    // Renamed copies keep the anchored functions unique while adding realistic code.
    text += '\n' + base.replace(/^((?:static |inline |int |u64 |void |bool |__must_check |__always_inline )*[\w *]*?\b)(\w+)\(/gm, `$1$2_copy${i}(`);
  }
  return text;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

const bench: Bench = async (report) => {
  const real = fs.existsSync(REAL);
  const text = real ? fs.readFileSync(REAL, 'utf8') : synthetic(2000);
  const lines = text.split('\n').length;
  report.note(`${real ? `Debian 6.12 tdp_mmu.c (${REAL})` : 'synthetic tdp_mmu.c from the RFC fixture (no Debian 6.12 tree in the cache)'}: ${lines} lines`);

  let t = performance.now();
  const cparser = await loadCParser();
  const first = KernelLinker.fromTexts(cparser, [{ kernelFile: 'mmu/tdp_mmu.c', text, name: 'tdp_mmu.c' }]);
  const found = first.resolveAll().resolutions.filter((r) => r.status === 'found').length;
  report.metric('link: cold (load wasm, parse, resolve all anchors)', performance.now() - t, 'ms');
  report.note(`${found} anchors found, profile ${first.detectProfile().profile}`);

  const full: number[] = [];
  for (let i = 0; i < 15; i++) {
    t = performance.now();
    const l = KernelLinker.fromTexts(cparser, [{ kernelFile: 'mmu/tdp_mmu.c', text, name: 'tdp_mmu.c' }]);
    l.resolveAll();
    full.push(performance.now() - t);
    l.dispose();
  }
  report.metric('link: parse + resolve all anchors, warm (median of 15)', median(full), 'ms', 100);

  const edits: number[] = [];
  for (let i = 0; i < 15; i++) {
    t = performance.now();
    first.updateFile('mmu/tdp_mmu.c', [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: `/* edit ${i} */\n` }]);
    first.resolveAll();
    edits.push(performance.now() - t);
  }
  report.metric('link: edit + incremental re-parse + resolve all, warm (median of 15)', median(edits), 'ms', 100);
  first.dispose();
};

export default bench;
