import * as assert from 'assert';
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { SETTING_KEYS, PropertySchema, manifestSettings, readSettings, whyInvalid } from '../../../src/extension/settingsRules';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../package.json'), 'utf8'));
const schemas = manifestSettings(manifest);
const keys = Object.values(SETTING_KEYS);

/** Independent oracle: does `v` fit the manifest schema `s`? */
function fits(s: PropertySchema, v: unknown): boolean {
  if (s.type === 'array') return Array.isArray(v) && (!s.items || v.every((x) => fits(s.items!, x)));
  if (Array.isArray(v) && s.type) return false;
  if (s.type === 'boolean' && typeof v !== 'boolean') return false;
  if (s.type === 'string' && typeof v !== 'string') return false;
  if (s.type === 'integer' && !(typeof v === 'number' && Number.isInteger(v))) return false;
  if (typeof v === 'number' && ((s.minimum ?? -Infinity) > v || (s.maximum ?? Infinity) < v)) return false;
  if (s.enum && !s.enum.includes(v)) return false;
  return true;
}

describe('extension settings', () => {
  it('every setting read by the extension is declared in package.json, with a default that fits it', () => {
    for (const key of keys) {
      assert.ok(schemas[key], `${key} missing from contributes.configuration`);
      assert.strictEqual(whyInvalid(schemas[key], schemas[key].default), undefined, `default of ${key}`);
    }
  });

  it('uses the defaults when nothing is set, without problems', () => {
    const { settings, problems } = readSettings(schemas, () => undefined);
    assert.deepStrictEqual(problems, []);
    assert.strictEqual(settings.profile, schemas['tdpMmuSim.profile'].default);
    assert.strictEqual(settings.maxEvents, schemas['tdpMmuSim.maxEvents'].default);
    assert.strictEqual(settings.kernelTree, '');
  });

  it('names the setting, the value, where it was set and why, then falls back to the default', () => {
    const user: Record<string, unknown> = { 'tdpMmuSim.maxEvents': -5, 'tdpMmuSim.profile': 'bogus', 'tdpMmuSim.hover.enabled': 'yes' };
    const { settings, problems } = readSettings(schemas, (k) => (k in user ? { value: user[k], origin: 'workspace settings' } : undefined));
    assert.deepStrictEqual(problems.map((p) => p.key).sort(), ['tdpMmuSim.hover.enabled', 'tdpMmuSim.maxEvents', 'tdpMmuSim.profile']);
    const max = problems.find((p) => p.key === 'tdpMmuSim.maxEvents')!.message;
    assert.match(max, /^tdpMmuSim\.maxEvents: -5 in workspace settings is below the minimum 1; using the default 1000000\.$/);
    assert.match(problems.find((p) => p.key === 'tdpMmuSim.profile')!.message, /"bogus" .* is not one of "auto", "pre-tdx", "mainline", "hugepage-rfc-v2"/);
    assert.match(problems.find((p) => p.key === 'tdpMmuSim.hover.enabled')!.message, /"yes" .* is not true or false/);
    assert.strictEqual(settings.maxEvents, 1000000);
    assert.strictEqual(settings.profile, 'auto');
    assert.strictEqual(settings.hoverEnabled, true);
  });

  it('takes a list of scenario patterns, and names the element that is not a string', () => {
    const read = (value: unknown) => readSettings(schemas, (k) => (k === 'tdpMmuSim.review.scenarios' ? { value, origin: 'user settings' } : undefined));
    assert.deepStrictEqual(read(['split-*', 'tests/**/*.tdpsim.yaml']).settings.reviewScenarios, ['split-*', 'tests/**/*.tdpsim.yaml']);
    assert.deepStrictEqual(readSettings(schemas, () => undefined).settings.reviewScenarios, []);
    const notList = read('split-*');
    assert.deepStrictEqual(notList.settings.reviewScenarios, []);
    assert.match(notList.problems[0].message, /^tdpMmuSim\.review\.scenarios: "split-\*" in user settings is not a list; using the default \[\]\.$/);
    assert.match(read(['a', 3]).problems[0].message, /\["a",3\] in user settings has an element 2 that is not a string/);
  });

  it('rejects fractional and non-finite event limits', () => {
    for (const bad of [2.5, NaN, Infinity, '100', null]) {
      const { problems, settings } = readSettings(schemas, (k) => (k === 'tdpMmuSim.maxEvents' ? { value: bad, origin: 'user settings' } : undefined));
      assert.strictEqual(problems.length, 1, String(bad));
      assert.strictEqual(settings.maxEvents, 1000000);
    }
  });

  it('any value: never throws, keeps exactly the values that fit, reports exactly the others', () => {
    const anyValue = fc.oneof(fc.jsonValue(), fc.constantFrom(...keys.flatMap((k) => [schemas[k].default, ...(schemas[k].enum ?? [])])), fc.integer(), fc.double());
    fc.assert(fc.property(fc.dictionary(fc.constantFrom(...keys), anyValue), (user) => {
      const { settings, problems } = readSettings(schemas, (k) => (k in user ? { value: user[k], origin: 'user settings' } : undefined));
      const bad = new Set(problems.map((p) => p.key));
      for (const [field, key] of Object.entries(SETTING_KEYS)) {
        const value = (settings as unknown as Record<string, unknown>)[field];
        assert.strictEqual(whyInvalid(schemas[key], value), undefined, `${key} = ${JSON.stringify(value)}`);
        const set = key in user;
        assert.strictEqual(bad.has(key), set && !fits(schemas[key], user[key]), key);
        assert.deepStrictEqual(value, set && fits(schemas[key], user[key]) ? user[key] : schemas[key].default);
      }
    }));
  });
});
