// Structural validation of a scenario with the JSON schema shipped in schemas/ (the same file
// VS Code's YAML tooling uses), with ajv's errors turned into messages a person can act on.
import Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import schemaJson from '../../../schemas/tdpsim.schema.json';
import type { Plain } from './yaml-source';
import { pointerChild } from './yaml-source';
import { nearest } from './suggest';

export const SCENARIO_SCHEMA = schemaJson as unknown as JsonSchema;

export interface JsonSchema {
  title?: string;
  description?: string;
  enum?: unknown[];
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
  minItems?: number;
  minimum?: number;
  maximum?: number;
  $ref?: string;
}

/** A structural problem at a JSON pointer; `onKey` points at the mapping key, not its value. */
export interface SchemaProblem {
  pointer: string;
  onKey: boolean;
  message: string;
}

let validator: ValidateFunction | undefined;

function validate(): ValidateFunction {
  // allowUnionTypes: `teardown` may be `{}` or empty (null).
  validator ??= new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true }).compile(SCENARIO_SCHEMA);
  return validator;
}

/** Validates against the shipped schema; one problem per offending value, in document order. */
export function checkSchema(value: Plain): SchemaProblem[] {
  const v = validate();
  if (v(value)) return [];
  return describeErrors(v.errors ?? []);
}

function describeErrors(errors: ErrorObject[]): SchemaProblem[] {
  // ajv reports an anyOf failure as one error per branch plus the anyOf itself; a bad value
  // deserves a single message, so keep the most telling error per position.
  const best = new Map<string, { rank: number; problem: SchemaProblem }>();
  const put = (key: string, rank: number, problem: SchemaProblem) => {
    const prev = best.get(key);
    if (!prev || rank < prev.rank) best.set(key, { rank, problem });
  };
  for (const e of errors) {
    const pointer = e.instancePath;
    const parent = e.parentSchema as JsonSchema | undefined;
    const name = lastSegment(pointer);
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String((e.params as { additionalProperty: string }).additionalProperty);
        const allowed = Object.keys(parent?.properties ?? {});
        const where = parent?.title === 'step' ? 'unknown step' : `unknown key`;
        const context = parent?.title && parent.title !== 'step' ? ` in ${parent.title}` : '';
        const expected = allowed.length ? ` (expected one of: ${allowed.join(', ')})` : ' (it takes no keys)';
        put(`${pointer}/${key}#key`, 0, { pointer: pointerChild(pointer, key), onKey: true, message: `${where} '${key}'${context}${expected}` });
        break;
      }
      case 'required': {
        const key = String((e.params as { missingProperty: string }).missingProperty);
        put(`${pointer}#required:${key}`, 0, { pointer, onKey: true, message: `missing key '${key}' in ${parent?.title ?? 'mapping'}` });
        break;
      }
      case 'minProperties':
      case 'maxProperties': {
        const keys = e.data && typeof e.data === 'object' ? Object.keys(e.data as object) : [];
        const message = parent?.title === 'step'
          ? (keys.length === 0
            ? `empty step: a step is a mapping with one key naming its kind (${Object.keys(parent.properties ?? {}).join(', ')})`
            : `a step has exactly one key naming its kind, found ${keys.length}: ${keys.join(', ')} (start a new list item with '-' for each step)`)
          : `'${name}' needs at least one of: ${Object.keys(parent?.properties ?? {}).join(', ')}`;
        put(pointer, 1, { pointer, onKey: true, message });
        break;
      }
      case 'enum': {
        const propertyName = (e as ErrorObject & { propertyName?: string }).propertyName;
        const given = propertyName ?? e.data;
        const what = parent?.title ?? (propertyName !== undefined ? 'name' : `value for '${name}'`);
        const message = `unknown ${what} ${show(given)} (${expected(given, parent?.enum ?? [], what)})`;
        if (propertyName !== undefined) {
          put(`${pointer}/${propertyName}#key`, 1, { pointer: pointerChild(pointer, propertyName), onKey: true, message });
        } else {
          put(pointer, 1, { pointer, onKey: false, message });
        }
        break;
      }
      case 'pattern': {
        const propertyName = (e as ErrorObject & { propertyName?: string }).propertyName;
        if (propertyName !== undefined) {
          put(`${pointer}/${propertyName}#key`, 1, { pointer: pointerChild(pointer, propertyName), onKey: true, message: `'${propertyName}' is not a function, hook or SEAMCALL name` });
        }
        break; // value patterns are inside value-kind anyOfs, described below
      }
      case 'propertyNames':
        break; // its inner enum/pattern error carries the name
      case 'anyOf': {
        // The value kinds (gfn, npages, size, ...) are anyOf definitions with a title phrase.
        put(pointer, 1, { pointer, onKey: false, message: `'${name}' must be ${parent?.title ?? 'valid'}, got ${show(e.data)}` });
        break;
      }
      case 'type': {
        const type = (e.params as { type: string }).type;
        const message = parent?.title === 'step'
          ? `a step must be a mapping with one key naming its kind, e.g. '- fault: { gfn: 0x200 }' or '- teardown: {}'; got ${show(e.data)}`
          : `'${name}' must be ${typePhrase(type)}, got ${show(e.data)}`;
        put(pointer, 2, { pointer, onKey: false, message });
        break;
      }
      case 'minimum':
      case 'maximum': {
        const limit = (e.params as { limit: number }).limit;
        put(pointer, 2, { pointer, onKey: false, message: `'${name}' must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${limit}, got ${show(e.data)}` });
        break;
      }
      case 'minItems':
        put(pointer, 1, { pointer, onKey: false, message: `'${name}' needs at least ${(e.params as { limit: number }).limit} item(s)` });
        break;
      case 'minLength':
        put(pointer, 1, { pointer, onKey: false, message: `'${name}' must not be empty` });
        break;
      default:
        put(`${pointer}#${e.keyword}`, 3, { pointer, onKey: false, message: `'${name}' ${e.message ?? 'is invalid'}` });
    }
  }
  return [...best.values()].map((b) => b.problem);
}

/** The allowed values, or for long lists the likely one (the editor completes the rest). */
function expected(given: unknown, choices: readonly unknown[], what: string): string {
  if (choices.length <= 8) return `expected one of: ${choices.map(String).join(', ')}`;
  const guess = typeof given === 'string' ? nearest(given, choices.map(String)) : undefined;
  return `${guess ? `did you mean ${guess}? ` : ''}one of ${choices.length} known ${what} names; see schemas/tdpsim.schema.json`;
}

function lastSegment(pointer: string): string {
  if (pointer === '') return 'scenario';
  const seg = pointer.slice(pointer.lastIndexOf('/') + 1).replace(/~1/g, '/').replace(/~0/g, '~');
  return /^\d+$/.test(seg) ? `item ${seg}` : seg;
}

function typePhrase(type: string): string {
  switch (type) {
    case 'object': return 'a mapping (key: value lines)';
    case 'array': return 'a list (lines starting with -)';
    case 'string': return 'text';
    case 'boolean': return 'true or false';
    case 'integer': return 'an integer';
    case 'object,null': return 'a mapping or empty';
    default: return `of type ${type}`;
  }
}

/** A value as the user wrote it, short. */
export function show(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'string') return `'${v.length > 40 ? v.slice(0, 40) + '…' : v}'`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}
