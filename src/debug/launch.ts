// What a launch of the debug adapter loads, wired to the real product: a *.tdpsim.yaml scenario
// is simulated, anything else is replayed as an ftrace file; kernel trees go through the source
// linker. Shared by the inline adapter (src/extension/debug/) and `tdp-sim dap`.
import type { ProfileName } from '../sim/types';
import { loadScenarioFile, ScenarioError, formatIssue } from '../sim/scenario';
import { simulate } from '../sim/simulate';
import { treeLocator, treeOfFile } from './linker';
import type { LoadedRecording, SessionDeps } from './session';

const SCENARIO_FILE = /\.ya?ml$/i;

export interface DepsOptions {
  /** Directory holding tree-sitter's .wasm files (the extension's dist/); default node_modules. */
  wasmDir?: string;
  env: Record<string, string | undefined>;
  /** Base for relative paths in scenario files. */
  cwd?: string;
}

export function defaultSessionDeps(o: DepsOptions): SessionDeps {
  return {
    load: (file, profile) => loadRecording(file, profile, o.cwd),
    locator: (tree, profile) => treeLocator(tree, profile, o.wasmDir),
    treeOfFile,
    defaultTree: o.env.TDP_KERNEL_TREE || undefined,
  };
}

/** Simulate a scenario file (errors: one line per problem, file:line:column). */
export async function loadRecording(file: string, profile: ProfileName | undefined, cwd?: string): Promise<LoadedRecording> {
  if (!SCENARIO_FILE.test(file)) {
    throw new Error(`${file}: trace replay is not available in this build; launch a *.tdpsim.yaml scenario`);
  }
  let scenario;
  try {
    scenario = loadScenarioFile(file, { profile, cwd });
  } catch (e) {
    if (e instanceof ScenarioError) throw new Error(e.issues.map(formatIssue).join('\n'));
    throw e;
  }
  return { recording: simulate(scenario, {}), vm: scenario.vm.type };
}
