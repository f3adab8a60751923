// Every message from the stepper webview, and the state it persisted, is checked against a
// JSON schema before the host acts on it: a webview is web content and is not trusted.
import type { ErrorObject, ValidateFunction } from 'ajv';
import {
  FILTER_CATEGORIES, MAX_GFN_QUERY, MAX_ROWS_PER_REQUEST, NAV_ACTIONS,
  type PersistedState, type WebviewMessage,
} from './protocol';
import { PROFILE_NAMES } from '../../sim/types';
import type { SWITCH_KEYS } from '../../sim/profiles';

/** Recordings never reach 2^31 events; this bound also keeps seq a safe integer. */
const MAX_SEQ = 0x7fffffff;
const MAX_PATH = 4096;
/** Deeper than any modelled kernel call stack. */
const MAX_FRAMES = 256;

const filterSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['categories', 'gfn'],
  properties: {
    categories: {
      type: 'array',
      maxItems: FILTER_CATEGORIES.length,
      uniqueItems: true,
      items: { type: 'string', enum: [...FILTER_CATEGORIES] },
    },
    gfn: { type: 'string', maxLength: MAX_GFN_QUERY },
  },
} as const;

const seqSchema = { type: 'integer', minimum: 0, maximum: MAX_SEQ } as const;

const messageSchema = {
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string' } },
  discriminator: { propertyName: 'type' },
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'ready' } } },
    {
      type: 'object', additionalProperties: false, required: ['type', 'action'],
      properties: { type: { const: 'navigate' }, action: { type: 'string', enum: [...NAV_ACTIONS] } },
    },
    { type: 'object', additionalProperties: false, required: ['type', 'seq'], properties: { type: { const: 'seek' }, seq: seqSchema } },
    { type: 'object', additionalProperties: false, required: ['type', 'index'], properties: { type: { const: 'seekRow' }, index: seqSchema } },
    {
      type: 'object', additionalProperties: false, required: ['type', 'start', 'count'],
      properties: {
        type: { const: 'rows' },
        start: seqSchema,
        count: { type: 'integer', minimum: 0, maximum: MAX_ROWS_PER_REQUEST },
      },
    },
    { type: 'object', additionalProperties: false, required: ['type', 'filter'], properties: { type: { const: 'filter' }, filter: filterSchema } },
    {
      type: 'object', additionalProperties: false, required: ['type', 'seq'],
      properties: { type: { const: 'reveal' }, seq: seqSchema, frame: { type: 'integer', minimum: 0, maximum: MAX_FRAMES } },
    },
  ],
} as const;

/** The value of each profile decision a what-if variant may change (one entry per SWITCH_KEYS
 *  key: the type makes a new decision fail to compile until it is described here). */
const SWITCH_SCHEMAS: { [K in (typeof SWITCH_KEYS)[number]]: object } = {
  privateMaxLevel: { type: 'integer', enum: [1, 2, 3] },
  setSpteMirrorPresent: { type: 'string', enum: ['bug', 'split'] },
  faultPathMirrorSplit: { type: 'string', enum: ['bug', 'split'] },
  mirrorNoMerge: { type: 'boolean' },
  splitOnConversion: { type: 'boolean' },
};

const sourceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'path'],
  properties: {
    kind: { type: 'string', enum: ['scenario', 'trace'] },
    path: { type: 'string', minLength: 1, maxLength: MAX_PATH },
    profile: { type: 'string', enum: [...PROFILE_NAMES] },
    addressSpace: { type: 'string', minLength: 1, maxLength: 64 },
    whatIf: {
      type: 'object', additionalProperties: false, required: ['loadAs', 'switches'],
      properties: {
        loadAs: { type: 'string', enum: [...PROFILE_NAMES] },
        switches: { type: 'object', additionalProperties: false, properties: SWITCH_SCHEMAS },
      },
    },
  },
  // Only a trace has address spaces; only a scenario has what-if variants (which need a profile).
  if: { properties: { kind: { const: 'scenario' } } },
  then: { properties: { addressSpace: false }, dependencies: { whatIf: ['profile'] } },
  else: { properties: { whatIf: false } },
} as const;

const persistedSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['source', 'seq', 'filter'],
  properties: {
    source: sourceSchema,
    seq: seqSchema,
    filter: filterSchema,
    scrollTop: { type: 'number', minimum: 0 },
  },
} as const;

export type Validation<T> = { ok: true; value: T } | { ok: false; error: string };

let compiled: { message: ValidateFunction; persisted: ValidateFunction } | undefined;

function validators() {
  // Compiled on first use: the panel module is loaded lazily, so activation does not pay for it.
  // allErrors stays off: the first problem is enough to reject, and it keeps messages short.
  if (!compiled) {
    const Ajv = (require('ajv') as typeof import('ajv')).default;
    const ajv = new Ajv({ discriminator: true, strict: true });
    compiled = { message: ajv.compile(messageSchema), persisted: ajv.compile(persistedSchema) };
  }
  return compiled;
}

function describe(errors: ErrorObject[] | null | undefined, what: string): string {
  const e = errors?.[0];
  if (!e) return `invalid ${what}`;
  const where = what + e.instancePath.replace(/\//g, '.');
  const params = e.params as { allowedValues?: unknown[]; additionalProperty?: string };
  const allowed = params.allowedValues ? ` (${params.allowedValues.join(', ')})` : '';
  const extra = params.additionalProperty ? ` '${params.additionalProperty}'` : '';
  return `${where} ${e.message ?? 'is invalid'}${extra}${allowed}`;
}

function check<T>(fn: ValidateFunction, raw: unknown, what: string): Validation<T> {
  return fn(raw) ? { ok: true, value: raw as T } : { ok: false, error: describe(fn.errors, what) };
}

/** Checks one message received from the webview; the error text names the offending field. */
export function validateWebviewMessage(raw: unknown): Validation<WebviewMessage> {
  return check(validators().message, raw, 'message');
}

/** Checks the state a webview persisted (given back by the panel serializer after a reload). */
export function validatePersistedState(raw: unknown): Validation<PersistedState> {
  return check(validators().persisted, raw, 'saved state');
}
