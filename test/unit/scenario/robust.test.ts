// Whatever text a user (or a fuzzer) feeds the loader, it answers with a Scenario or a
// ScenarioError with positions, never another exception and never a hang.
import { strict as assert } from 'assert';
import { readFileSync, readdirSync } from 'fs';
import { join } from 'path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadScenario, ScenarioError } from '../../../src/sim/scenario';
import { scenarioDoc } from './arbitraries';

function loadsOrExplains(text: string): void {
  try {
    loadScenario(text, 'fuzz.tdpsim.yaml');
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    assert.ok(e.issues.length > 0);
    for (const i of e.issues) {
      assert.equal(i.file, 'fuzz.tdpsim.yaml');
      assert.ok(Number.isInteger(i.line) && i.line >= 1 && Number.isInteger(i.column) && i.column >= 1, `bad position ${i.line}:${i.column}`);
      assert.ok(i.message.length > 0 && !i.message.includes('undefined'), `unclear message: ${i.message}`);
    }
  }
}

const SHIPPED = join(__dirname, '..', '..', '..', 'scenarios');
const shipped = () => readdirSync(SHIPPED).filter((f) => f.endsWith('.tdpsim.yaml')).map((f) => readFileSync(join(SHIPPED, f), 'utf8'));

describe('scenario loader robustness (fast-check)', () => {
  it('random text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), loadsOrExplains), { numRuns: 400 });
  });

  it('random YAML values', () => {
    fc.assert(fc.property(fc.anything({ maxDepth: 4 }), (v) => loadsOrExplains(stringify(v) ?? "")), { numRuns: 300 });
  });

  it('scenario-shaped documents with mistakes', () => {
    fc.assert(fc.property(scenarioDoc(), (doc) => loadsOrExplains(stringify(doc))), { numRuns: 300 });
  });

  it('shipped scenarios with a random slice deleted, or random text spliced in', () => {
    const texts = shipped();
    fc.assert(fc.property(
      fc.constantFrom(...texts), fc.nat(), fc.nat({ max: 40 }), fc.string({ maxLength: 12 }),
      (text, at, len, insert) => {
        const i = at % (text.length + 1);
        loadsOrExplains(text.slice(0, i) + insert + text.slice(i + len));
      }), { numRuns: 400 });
  });
});
