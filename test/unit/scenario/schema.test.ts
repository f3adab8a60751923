// The shipped JSON schema (schemas/tdpsim.schema.json) is what VS Code's YAML tooling uses to
// validate and document scenarios while they are edited; these tests keep it well-formed,
// documented, and in agreement with the loader.
import { strict as assert } from 'assert';
import { readFileSync, readdirSync } from 'fs';
import { join } from 'path';
import Ajv from 'ajv';
import fc from 'fast-check';
import { scenarioDoc } from './arbitraries';
import { parse, stringify } from 'yaml';
import { loadScenario, ScenarioError } from '../../../src/sim/scenario';
import { PROFILE_NAMES, SEAMCALLS, TDX_STATUS } from '../../../src/sim';

const ROOT = join(__dirname, '..', '..', '..');
const SCHEMA_PATH = join(ROOT, 'schemas', 'tdpsim.schema.json');
const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));

type Node = Record<string, unknown>;

/** Every schema node with its JSON-pointer path. */
function walk(node: unknown, path: string, visit: (n: Node, path: string) => void): void {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return;
  const n = node as Node;
  visit(n, path);
  for (const key of ['properties', 'definitions'] as const) {
    for (const [k, child] of Object.entries((n[key] ?? {}) as Node)) walk(child, `${path}/${key}/${k}`, visit);
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames'] as const) walk(n[key], `${path}/${key}`, visit);
  for (const key of ['anyOf', 'oneOf'] as const) ((n[key] ?? []) as unknown[]).forEach((c, i) => walk(c, `${path}/${key}/${i}`, visit));
}

function freshValidator() {
  return new Ajv({ allErrors: true, allowUnionTypes: true, strict: true }).compile(schema);
}

describe('scenario JSON schema', () => {
  it('is a valid draft-07 schema that ajv compiles in strict mode', () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    const ajv = new Ajv({ allowUnionTypes: true, strict: true });
    assert.ok(ajv.validateSchema(schema), JSON.stringify(ajv.errors));
    freshValidator();
  });

  it('documents every key and definition (hover text in the editor)', () => {
    const missing: string[] = [];
    walk(schema, '#', (n, path) => {
      const documented = typeof n.description === 'string' && n.description.length > 10;
      const isRef = typeof n.$ref === 'string';
      const isBranch = /\/(anyOf|oneOf)\/\d+$/.test(path) || /\/(additionalProperties|propertyNames|items)$/.test(path);
      if (!documented && !isRef && !isBranch) missing.push(path);
      if (isRef && !/\/properties\/[^/]+$|\/items$|\/additionalProperties$|\/propertyNames$/.test(path)) missing.push(`${path} ($ref in an odd place)`);
    });
    assert.deepEqual(missing, []);
    // A $ref'd definition must itself be documented, so the property inherits a description.
    walk(schema, '#', (n) => {
      if (typeof n.$ref === 'string') {
        const def = schema.definitions[(n.$ref as string).replace('#/definitions/', '')];
        assert.ok(def?.description, `${n.$ref} has no description`);
      }
    });
  });

  it('names exactly the profiles, SEAMCALLs and TDX statuses the simulator knows', () => {
    const d = schema.definitions;
    assert.deepEqual(d.profile.enum, [...PROFILE_NAMES]);
    assert.deepEqual(d.seamcall.enum, [...SEAMCALLS]);
    assert.deepEqual(d.tdx_status.enum, Object.keys(TDX_STATUS));
    assert.deepEqual(d.tdx_error.enum, Object.keys(TDX_STATUS).filter((n) => n !== 'TDX_SUCCESS'));
  });

  it('closes every mapping: additionalProperties is false wherever properties are listed', () => {
    walk(schema, '#', (n, path) => {
      if (n.properties) assert.equal(n.additionalProperties, false, path);
    });
  });

  it('validates every shipped scenario, and the loader accepts each', () => {
    const dir = join(ROOT, 'scenarios');
    const files = readdirSync(dir).filter((f) => f.endsWith('.tdpsim.yaml'));
    assert.ok(files.length >= 10, `only ${files.length} shipped scenarios`);
    const validate = freshValidator();
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      assert.ok(validate(parse(text)), `${f}: ${JSON.stringify(validate.errors)}`);
      loadScenario(text, f);
    }
  });

  it('rejects every structural bad-input fixture, like the loader', () => {
    const dir = join(ROOT, 'test', 'fixtures', 'scenarios');
    const validate = freshValidator();
    const structural = ['bad-levels', 'bad-sizes', 'missing-keys', 'not-a-mapping', 'step-shape', 'unknown-enums', 'unknown-key'];
    for (const f of structural) {
      const doc = parse(readFileSync(join(dir, `${f}.tdpsim.yaml`), 'utf8'));
      assert.equal(validate(doc), false, `${f} passes the schema`);
    }
  });

  it('agrees with the loader on generated scenarios: loader accepts ⇒ schema accepts; schema rejects ⇒ loader rejects', () => {
    const validate = freshValidator();
    fc.assert(fc.property(scenarioDoc(), (doc) => {
      const text = stringify(doc);
      const schemaOk = validate(parse(text));
      let loaderOk = true;
      try { loadScenario(text, 'gen.tdpsim.yaml'); } catch (e) {
        if (!(e instanceof ScenarioError)) throw e;
        loaderOk = false;
      }
      if (loaderOk) assert.ok(schemaOk, `loader accepted what the schema rejects: ${text}\n${JSON.stringify(validate.errors)}`);
      if (!schemaOk) assert.ok(!loaderOk, `schema rejected what the loader accepts: ${text}`);
    }), { numRuns: 300 });
  });
});
