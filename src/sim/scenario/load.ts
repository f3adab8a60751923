// loadScenario: *.tdpsim.yaml text → Scenario, or a ScenarioError listing every problem with
// its file, line and column. Three passes: YAML syntax (yaml package), structure (the shipped
// JSON schema via ajv), meaning (build.ts). Never throws anything but ScenarioError.
import { readFileSync } from 'fs';
import { resolve } from 'path';
import type { ProfileName, SourceLocation } from '../types';
import type { Scenario } from '../scenario-types';
import { ScenarioError } from './errors';
import type { ScenarioIssue } from './errors';
import { parseYamlSource } from './yaml-source';
import type { Plain, Pos } from './yaml-source';
import { checkSchema } from './schema';
import { buildScenario } from './build';

export interface LoadOptions {
  /** Use this profile instead of the file's (`tdp-sim run --profile`). */
  profile?: ProfileName;
  /** Directory a relative path is read from (default: the process's); messages keep the path as given. */
  cwd?: string;
}

export function loadScenario(text: string, file: string, opts: LoadOptions = {}): Scenario {
  const src = parseYamlSource(text, file);
  if (src.issues.length > 0) throw new ScenarioError(src.issues);
  const issues: ScenarioIssue[] = [];
  const posOf = (pointer: string, onKey: boolean): Pos => {
    // The nearest enclosing node with a position (a missing key has none of its own).
    for (let p = pointer; ; p = p.slice(0, Math.max(0, p.lastIndexOf('/')))) {
      const pos = src.positions.get(p);
      if (pos) return (onKey && pos.key) || pos.value;
      if (p === '') return { line: 1, column: 1 };
    }
  };
  const report = (pointer: string, message: string, onKey = false) => issues.push({ file, ...posOf(pointer, onKey), message });

  if (src.value === null || src.value === undefined) {
    throw new ScenarioError([{ file, line: 1, column: 1, message: 'empty scenario: expected a mapping with name, profile, vm and steps' }]);
  }
  const problems = checkSchema(src.value);
  for (const p of problems) report(p.pointer, p.message, p.onKey);
  // A wrong top level (not a mapping, a required key missing) leaves nothing to check further.
  if (problems.some((p) => p.pointer === '')) throw new ScenarioError(issues);

  const brokenPointers = problems.map((p) => p.pointer);
  const scenario = buildScenario({
    doc: src.value as { [key: string]: Plain },
    profile: opts.profile,
    broken: (pointer) => brokenPointers.some((b) => b === pointer || b.startsWith(pointer + '/')),
    report,
  });
  if (issues.length > 0 || !scenario) {
    if (issues.length === 0) throw new Error('scenario builder failed without reporting why'); // a bug, not bad input
    throw new ScenarioError(issues);
  }
  const sources: SourceLocation[] = scenario.steps.map((_, i) => ({ file, ...posOf(`/steps/${i}`, false) }));
  return { ...scenario, sources, file };
}

/** Reads and loads a scenario file; an unreadable file is a ScenarioError too. */
export function loadScenarioFile(path: string, opts: LoadOptions = {}): Scenario {
  let text: string;
  try {
    text = readFileSync(resolve(opts.cwd ?? process.cwd(), path), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new ScenarioError([{ file: path, line: 0, column: 0, message: `cannot read scenario: ${why}` }]);
  }
  return loadScenario(text, path, opts);
}
