// Runs the browser-driven suite: every test/e2e/ui/**/*.test.ts (mocha, in this Node process).
// Usage: node --require tsx/cjs test/e2e/harness/run-ui.ts [--grep <regexp>]
// Expects the .vsix from `npm run package` and the tools from test/e2e/setup.sh.
import * as fs from 'fs';
import * as path from 'path';
import { REPO } from './paths';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const Mocha = require('mocha');

export function testFiles(dir: string, suffix = '.test.ts'): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(suffix)).sort().map((f) => path.join(dir, f));
}

if (require.main === module) {
  const grepAt = process.argv.indexOf('--grep');
  const mocha = new Mocha({
    timeout: 60_000, reporter: 'spec', color: false,
    ...(grepAt > 0 ? { grep: process.argv[grepAt + 1] } : {}),
  });
  const files = testFiles(path.join(REPO, 'test/e2e/ui'));
  files.forEach((f) => mocha.addFile(f));
  const started = Date.now();
  const runner = mocha.run((failures: number) => {
    const s = runner.stats ?? { passes: 0, pending: 0 };
    console.log(`ui suite: ${files.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(`${s.passes} passed, ${failures} failed${s.pending ? `, ${s.pending} skipped` : ''}`);
    process.exit(failures || s.passes === 0 ? 1 : 0);
  });
}
