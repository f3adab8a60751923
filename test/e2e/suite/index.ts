// Entry of the extension-host suite (extensionTestsPath): runs every *.test.js bundled next to it
// with mocha, inside the extension host, and writes the counts for the runner
// (test/e2e/harness/run-exthost.ts) to $E2E_RESULT_FILE.
import * as fs from 'fs';
import * as path from 'path';
import { SUITE_END, SUITE_START } from './markers';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const Mocha = require('mocha');

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 30_000, color: false, reporter: 'spec', grep: process.env.E2E_GREP || undefined });
  const files = fs.readdirSync(__dirname, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.test.js')).sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  const failed: string[] = [];
  console.log(SUITE_START);
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures: number) => {
      const stats = runner.stats ?? { passes: 0, pending: 0 };
      if (process.env.E2E_RESULT_FILE) {
        fs.writeFileSync(process.env.E2E_RESULT_FILE, JSON.stringify({ passes: stats.passes, failures, pending: stats.pending, failed }));
      }
      console.log(SUITE_END);
      if (failures) reject(new Error(`${failures} extension-host tests failed`));
      else resolve();
    });
    runner.on('fail', (test: { fullTitle(): string }) => failed.push(test.fullTitle()));
  });
}
