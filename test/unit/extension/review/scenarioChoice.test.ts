import * as assert from 'assert';
import fc from 'fast-check';
import { defaultScenarios, globToRegExp, scenarioMatches, selectScenarios, type ScenarioCandidates } from '../../../../src/extension/review/scenarioChoice';

const S = '/ext/scenarios';
const W = '/ws';
const candidates: ScenarioCandidates = {
  shipped: [`${S}/private-4k-fault.tdpsim.yaml`, `${S}/split-private-2m-mainline.tdpsim.yaml`, `${S}/split-private-2m-rfc.tdpsim.yaml`],
  workspace: [
    { file: `${W}/copy/split-private-2m-rfc.tdpsim.yaml`, relative: 'copy/split-private-2m-rfc.tdpsim.yaml' },
    { file: `${W}/tests/mine.tdpsim.yaml`, relative: 'tests/mine.tdpsim.yaml' },
    { file: `${W}/tests/deep/other.tdpsim.yaml`, relative: 'tests/deep/other.tdpsim.yaml' },
  ],
};
/** Contents: the workspace copy has the shipped file's text. */
const read = (f: string) => (f.endsWith('split-private-2m-rfc.tdpsim.yaml') ? 'rfc' : f);

describe('review scenario choice', () => {
  it('by default: every shipped scenario, and the workspace ones that are not copies of them', () => {
    const want = [...candidates.shipped, `${W}/tests/mine.tdpsim.yaml`, `${W}/tests/deep/other.tdpsim.yaml`];
    assert.deepStrictEqual(defaultScenarios(candidates, read), want);
    assert.deepStrictEqual(selectScenarios(candidates, [], read), { files: want, unmatched: [] });
  });

  it('an entry without "/" picks by file name, with or without .tdpsim.yaml, shipped and workspace alike', () => {
    assert.deepStrictEqual(selectScenarios(candidates, ['split-private-2m-rfc'], read).files, [`${S}/split-private-2m-rfc.tdpsim.yaml`, `${W}/copy/split-private-2m-rfc.tdpsim.yaml`]);
    assert.deepStrictEqual(selectScenarios(candidates, ['private-4k-fault.tdpsim.yaml'], read).files, [`${S}/private-4k-fault.tdpsim.yaml`]);
    assert.deepStrictEqual(selectScenarios(candidates, ['split-*-mainline'], read).files, [`${S}/split-private-2m-mainline.tdpsim.yaml`]);
  });

  it('an entry with "/" matches workspace paths only; "**/" spans any number of folders, none too', () => {
    assert.deepStrictEqual(selectScenarios(candidates, ['tests/**/*.tdpsim.yaml'], read).files, [`${W}/tests/mine.tdpsim.yaml`, `${W}/tests/deep/other.tdpsim.yaml`]);
    assert.deepStrictEqual(selectScenarios(candidates, ['./tests/*.tdpsim.yaml'], read).files, [`${W}/tests/mine.tdpsim.yaml`]);
    assert.deepStrictEqual(selectScenarios(candidates, ['**/split-*.tdpsim.yaml'], read).files, [`${W}/copy/split-private-2m-rfc.tdpsim.yaml`]);
    assert.deepStrictEqual(selectScenarios(candidates, [`${S}/private-4k-fault.tdpsim.yaml`], read).files, [`${S}/private-4k-fault.tdpsim.yaml`]);
  });

  it('lists entries that match nothing, keeps candidate order and each file once', () => {
    const sel = selectScenarios(candidates, ['tests/mine.tdpsim.yaml', 'nope', 'private-*', 'tests/mine.tdpsim.yaml', '  '], read);
    assert.deepStrictEqual(sel.files, [`${S}/private-4k-fault.tdpsim.yaml`, `${W}/tests/mine.tdpsim.yaml`]);
    assert.deepStrictEqual(sel.unmatched, ['nope', '  ']);
  });

  it('globs: {a,b} alternatives, ? one character, an unclosed { literal', () => {
    assert.ok(scenarioMatches('{mine,other}', `${W}/tests/mine.tdpsim.yaml`, 'tests/mine.tdpsim.yaml'));
    assert.ok(scenarioMatches('min?', `${W}/tests/mine.tdpsim.yaml`, 'tests/mine.tdpsim.yaml'));
    assert.ok(!scenarioMatches('tests/*', `${W}/tests/deep/other.tdpsim.yaml`, 'tests/deep/other.tdpsim.yaml'));
    assert.ok(globToRegExp('a{b').test('a{b'));
    assert.ok(globToRegExp('a}b').test('a}b'));
  });

  it('any string: compiles, and one without glob characters matches exactly itself', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (glob, other) => {
      const re = globToRegExp(glob);
      if (/[*?{}]/.test(glob)) return;
      assert.ok(re.test(glob), glob);
      assert.strictEqual(re.test(other), other === glob);
    }));
  });
});
