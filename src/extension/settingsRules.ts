// The extension's settings, read and checked. Pure (no `vscode` import) so the rules are unit
// tested; settingsService.ts is the VS Code glue. Each setting's type, default, enum and range come from
// the manifest (package.json contributes.configuration), never from a second copy here.
import type { ProfileName } from '../sim/types';

export type ProfileSetting = 'auto' | ProfileName;

export interface Settings {
  /** As written by the user ('' = find it); see linkedTree.ts for how it resolves. */
  kernelTree: string;
  profile: ProfileSetting;
  highlightEnabled: boolean;
  hoverEnabled: boolean;
  codeLensEnabled: boolean;
  maxEvents: number;
  /** How a replayed trace tells VMs apart (src/trace/replay.ts). */
  traceVmIdentity: 'single' | 'tgid';
  /** Scenario globs or paths for the review's behaviour diff; [] = shipped + workspace (review/scenarioChoice.ts). */
  reviewScenarios: string[];
}

/** Setting key (as in settings.json) of each field. */
export const SETTING_KEYS: { readonly [F in keyof Settings]: string } = {
  kernelTree: 'tdpMmuSim.kernelTree',
  profile: 'tdpMmuSim.profile',
  highlightEnabled: 'tdpMmuSim.highlight.enabled',
  hoverEnabled: 'tdpMmuSim.hover.enabled',
  codeLensEnabled: 'tdpMmuSim.codeLens.enabled',
  maxEvents: 'tdpMmuSim.maxEvents',
  traceVmIdentity: 'tdpMmuSim.trace.vmIdentity',
  reviewScenarios: 'tdpMmuSim.review.scenarios',
};

/** The subset of JSON schema the manifest uses for our settings. */
export interface PropertySchema {
  type?: 'string' | 'boolean' | 'integer' | 'number' | 'array';
  /** Schema of each element of an array. */
  items?: PropertySchema;
  default?: unknown;
  enum?: readonly unknown[];
  minimum?: number;
  maximum?: number;
}

/** A value the user set, and where ('user settings', 'workspace settings', ...). */
export interface UserValue {
  value: unknown;
  origin: string;
}

export interface SettingProblem {
  key: string;
  message: string;
}

/** contributes.configuration.properties of a manifest (package.json). */
export function manifestSettings(manifest: unknown): Record<string, PropertySchema> {
  const props = (manifest as { contributes?: { configuration?: { properties?: unknown } } })
    ?.contributes?.configuration?.properties;
  if (!props || typeof props !== 'object') throw new Error('package.json has no contributes.configuration.properties');
  return props as Record<string, PropertySchema>;
}

/** Why `value` does not fit `schema`, or undefined when it does. */
export function whyInvalid(schema: PropertySchema, value: unknown): string | undefined {
  switch (schema.type) {
    case 'boolean':
      if (typeof value !== 'boolean') return 'is not true or false';
      break;
    case 'string':
      if (typeof value !== 'string') return 'is not a string';
      break;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'is not a number';
      if (schema.type === 'integer' && !Number.isInteger(value)) return 'is not a whole number';
      if (schema.minimum !== undefined && value < schema.minimum) return `is below the minimum ${schema.minimum}`;
      if (schema.maximum !== undefined && value > schema.maximum) return `is above the maximum ${schema.maximum}`;
      break;
    case 'array': {
      if (!Array.isArray(value)) return 'is not a list';
      const items = schema.items;
      for (let i = 0; items && i < value.length; i++) {
        const why = whyInvalid(items, value[i]);
        if (why) return `has an element ${i + 1} that ${why}`;
      }
      break;
    }
  }
  if (schema.enum && !schema.enum.includes(value)) {
    return `is not one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return undefined;
}

/**
 * The settings to use: each user value that fits its schema, else the manifest default, with one
 * problem per rejected value. `userValue(key)` returns undefined when the user did not set it.
 */
export function readSettings(
  schemas: Record<string, PropertySchema>,
  userValue: (key: string) => UserValue | undefined,
): { settings: Settings; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  const settings = {} as Record<keyof Settings, unknown>;
  for (const field of Object.keys(SETTING_KEYS) as (keyof Settings)[]) {
    const key = SETTING_KEYS[field];
    const schema = schemas[key];
    if (!schema) throw new Error(`package.json does not declare the setting ${key}`);
    const user = userValue(key);
    const why = user === undefined ? undefined : whyInvalid(schema, user.value);
    if (user !== undefined && why === undefined) {
      settings[field] = user.value;
    } else {
      settings[field] = schema.default;
      if (why) {
        problems.push({
          key,
          message: `${key}: ${show(user!.value)} in ${user!.origin} ${why}; using the default ${show(schema.default)}.`,
        });
      }
    }
  }
  return { settings: settings as unknown as Settings, problems };
}

function show(value: unknown): string {
  let text: string;
  try { text = JSON.stringify(value) ?? String(value); } catch { text = String(value); }
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}
