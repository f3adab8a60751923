// `npm run bench`: runs every bench/*.bench.ts (or those named on the command line) and prints
// one line per measurement with its target, so regressions are visible as ratios.
//
// Each bench file is first bundled with esbuild exactly as scripts/build.mjs bundles dist/
// (the code the extension and the CLI run): the per-module CommonJS of a TypeScript loader
// turns every cross-module reference into a getter call and would measure a slower program
// than the one users get.
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';

export interface BenchReport {
  /** Record a measurement; `target` is the budget it must stay under (same unit). */
  metric(name: string, value: number, unit: string, target?: number): void;
  note(text: string): void;
}

export type Bench = (report: BenchReport) => Promise<void> | void;

async function runAll(): Promise<number> {
  const only = process.argv.slice(2);
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.bench.ts')).sort()
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
  let over = 0;
  for (const f of files) {
    console.log(`\n== ${f}`);
    // Beside the source, so that __dirname and module resolution are the bench file's own.
    const outfile = path.join(__dirname, `.${f.replace(/\.ts$/, '.js')}`);
    process.on('exit', () => fs.rmSync(outfile, { force: true }));
    esbuild.buildSync({ entryPoints: [path.join(__dirname, f)], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
    const bench: Bench = require(outfile).default;
    await bench({
      metric(name, value, unit, target) {
        const ratio = target ? ` (target < ${target} ${unit}, ratio ${(value / target).toFixed(2)})` : '';
        const flag = target && value > target ? '  OVER BUDGET' : '';
        if (flag) over++;
        console.log(`  ${name}: ${value.toFixed(value < 10 ? 3 : 1)} ${unit}${ratio}${flag}`);
      },
      note(text) { console.log(`  ${text}`); },
    });
  }
  console.log(`\n${files.length} benchmark files, ${over} measurements over budget`);
  return over ? 1 : 0;
}

runAll().then((code) => { process.exitCode = code; });
