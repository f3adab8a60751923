// Real-tree tier: the anchor table against real kernel source, which stays outside the repo.
//  - Debian's linux-source-6.12 (pre-tdx), from ~/.cache/tdp-mmu-sim/linux-6.12 or fetched there
//    by scripts/fetch-linux-source.sh (set TDP_SIM_NO_FETCH=1 to never download);
//  - the tree in TDP_KERNEL_TREE, when set.
// A tier that cannot run says "SKIPPED: <why>" and is reported pending, never passed.
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ANCHORS } from '../../../src/sim/anchors';
import { KernelLinker, type LinkReport } from '../../../src/kernel/linker';

const CACHE = process.env.TDP_SIM_CACHE ?? path.join(os.homedir(), '.cache/tdp-mmu-sim');
const FETCH = path.resolve(__dirname, '../../../scripts/fetch-linux-source.sh');
const hasTdpMmu = (dir: string) => fs.existsSync(path.join(dir, 'arch/x86/kvm/mmu/tdp_mmu.c'));

function debian612(): { tree?: string; why?: string } {
  const tree = path.join(CACHE, 'linux-6.12');
  if (hasTdpMmu(tree)) return { tree };
  if (process.env.TDP_SIM_NO_FETCH) return { why: `no ${tree} and TDP_SIM_NO_FETCH is set` };
  try {
    const out = execFileSync('bash', [FETCH, CACHE], { encoding: 'utf8', timeout: 20 * 60_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    return hasTdpMmu(out) ? { tree: out } : { why: `${FETCH} printed ${out} without a tdp_mmu.c` };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { why: `could not fetch linux-source-6.12: ${(err.stderr || err.message).trim().split('\n').pop()}` };
  }
}

/** Every found anchor lies inside a definition of its function, in its file. */
function assertInOwnFunction(linker: KernelLinker, report: LinkReport): void {
  for (const r of report.resolutions) {
    if (r.status !== 'found') continue;
    const a = ANCHORS.find((x) => x.id === r.anchor)!;
    assert.equal(r.location.kernelFile, a.file, a.id);
    const defs = linker.file(a.file)!.structure.functionsNamed(a.fn);
    assert.ok(defs.some((d) => d.span.startLine <= r.location.startLine && r.location.endLine <= d.span.endLine), `${a.id} at line ${r.location.startLine} is not inside ${a.fn}`);
  }
}

describe('kernel: real kernel trees', function () {
  this.timeout(25 * 60_000);

  it('Debian linux-source-6.12: pre-tdx, every pre-tdx anchor in its function, every mirror anchor absent', async function () {
    const { tree, why } = debian612();
    if (!tree) {
      console.log(`      SKIPPED: ${why}`);
      this.skip();
    }
    const linker = await KernelLinker.open(tree!);
    const report = linker.resolveAll();
    assert.equal(report.detected.profile, 'pre-tdx', report.detected.reason);
    assert.deepEqual(report.detected.warnings, []);
    const problems: string[] = [];
    for (const r of report.resolutions) {
      const a = ANCHORS.find((x) => x.id === r.anchor)!;
      if (a.profiles.includes('pre-tdx') && r.status !== 'found') problems.push(`${a.id}: ${r.status} ${'reason' in r ? r.reason : ''}`);
      if (!a.profiles.includes('pre-tdx') && !(r.status === 'absent' && r.cause === 'profile')) problems.push(`${a.id} (mirror-only): ${r.status}`);
    }
    assert.deepEqual(problems, []);
    assertInOwnFunction(linker, report);
    assert.ok(report.resolutions.filter((r) => r.status === 'found').length >= 40);
    linker.dispose();
  });

  it('TDP_KERNEL_TREE: every anchor of its detected profile is found, in its function', async function () {
    const tree = process.env.TDP_KERNEL_TREE;
    if (!tree) {
      console.log('      SKIPPED: TDP_KERNEL_TREE is not set');
      this.skip();
    }
    const linker = await KernelLinker.open(tree!);
    const report = linker.resolveAll();
    assert.ok(report.profile, `no profile detected for ${tree}: ${report.detected.reason}`);
    const missing = report.resolutions.filter((r) => r.status === 'ambiguous' || (r.status === 'absent' && r.cause === 'missing'));
    assert.deepEqual(missing.map((r) => `${r.anchor}: ${'reason' in r ? r.reason : ''}`), [], `${tree} (${report.profile}: ${report.detected.reason})`);
    assertInOwnFunction(linker, report);
    linker.dispose();
  });
});
