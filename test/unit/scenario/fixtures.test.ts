// Every bad-input fixture in test/fixtures/scenarios/ lists the errors it must produce in
// trailing `# error: line:col: message` comments; the loader must report exactly those.
import { strict as assert } from 'assert';
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { loadScenarioFile, ScenarioError } from '../../../src/sim/scenario';

const DIR = join(__dirname, '..', '..', 'fixtures', 'scenarios');

describe('scenario loader: bad-input fixtures', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.tdpsim.yaml')).sort();

  it('has fixtures', () => assert.ok(files.length >= 10, `only ${files.length} fixtures`));

  for (const f of files) {
    it(`${f}: reports exactly its expected errors`, () => {
      const path = join(DIR, f);
      const expected = readFileSync(path, 'utf8').split('\n')
        .filter((l) => l.startsWith('# error: ')).map((l) => l.slice('# error: '.length));
      assert.ok(expected.length > 0, `${f} lists no '# error:' lines`);
      let err: unknown;
      try { loadScenarioFile(path); } catch (e) { err = e; }
      assert.ok(err instanceof ScenarioError, `${f} loaded without error`);
      assert.deepEqual(err.issues.map((i) => `${i.line}:${i.column}: ${i.message}`), expected);
      for (const i of err.issues) assert.equal(i.file, path);
      assert.equal(err.message.split('\n')[0], `${path}:${expected[0]}`);
    });
  }
});
