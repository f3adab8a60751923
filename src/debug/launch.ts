// What a launch of the debug adapter loads, wired to the real product: a *.tdpsim.yaml scenario
// is simulated, anything else is replayed as an ftrace / trace-cmd text file (src/trace/);
// kernel trees go through the source linker. Shared by the inline adapter (src/extension/debug/) and `tdp-sim dap`.
import { loadScenarioFile, ScenarioError, formatIssue } from '../sim/scenario';
import { SimInputError, simulate } from '../sim/simulate';
import { fileSource, formatWarning, importTrace, looksLikeNoTrace, NotATraceError, replayNamed, replaysByEvents } from '../trace';
import { isScenarioFile } from './inputs';
import { treeLocator, treeOfFile } from './linker';
import type { LoadOptions, LoadedRecording, SessionDeps } from './session';

/** Findings listed in the debug console at launch; all of them remain stops of the invariant filter. */
const MAX_NOTED_FINDINGS = 20;

export interface DepsOptions {
  /** Directory holding tree-sitter's .wasm files (the extension's dist/); default node_modules. */
  wasmDir?: string;
  env: Record<string, string | undefined>;
  /** Base for relative paths in scenario files. */
  cwd?: string;
}

export function defaultSessionDeps(o: DepsOptions): SessionDeps {
  return {
    load: (file, opts) => loadRecording(file, { cwd: o.cwd, ...opts }),
    locator: (tree, profile) => treeLocator(tree, profile, o.wasmDir),
    treeOfFile,
    defaultTree: o.env.TDP_KERNEL_TREE || undefined,
  };
}

/** Simulate a scenario file, or replay an ftrace / trace-cmd text file (VMs told apart by
 *  `vmIdentity`, the address space `addressSpace`), stopping after about maxEvents events.
 *  Errors name the file (and line and column for scenarios). */
export async function loadRecording(file: string, opts: LoadOptions = {}): Promise<LoadedRecording> {
  const { profile, cwd, maxEvents } = opts;
  if (!isScenarioFile(file)) return loadTrace(file, opts);
  for (const a of ['addressSpace', 'vmIdentity'] as const) {
    if (opts[a] !== undefined) throw new Error(`launch: '${a}' is for traces; ${file} is a scenario`);
  }
  let scenario;
  try {
    scenario = loadScenarioFile(file, { profile, cwd });
  } catch (e) {
    if (e instanceof ScenarioError) throw new Error(e.issues.map(formatIssue).join('\n'));
    throw e;
  }
  try {
    const recording = simulate(scenario, { maxEvents });
    const notes = maxEvents !== undefined && recording.length >= maxEvents
      ? [`${file}: the simulation stopped after ${maxEvents} events (maxEvents): the recording ends there`] : [];
    return { recording, vm: scenario.vm.type, notes, vcpus: scenario.vm.vcpus };
  } catch (e) {
    if (e instanceof SimInputError) throw new Error(`${file}: ${e.message}`);
    throw e;
  }
}

/** Replay a trace (profile default mainline). The address space `addressSpace` names, else the
 *  one with the most events, is debugged; the others, warnings and findings are reported as notes. */
async function loadTrace(file: string, { profile, maxEvents, addressSpace, vmIdentity }: LoadOptions): Promise<LoadedRecording> {
  let t;
  try {
    t = await importTrace(fileSource(file), { profile, maxEvents, vmIdentity });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (e instanceof NotATraceError) throw new Error(err.message);
    if (err.code) throw new Error(`${file}: cannot read: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message}`);
    throw e;
  }
  if (t.parse.lines === 0) throw new Error(`${file} is empty`);
  if (looksLikeNoTrace(t.parse) || t.vms.length === 0) {
    const first = t.parse.malformed.first[0];
    throw new Error(`${file} is neither a *.tdpsim.yaml scenario nor a trace: no line looks like ftrace or trace-cmd report output of the KVM MMU tracepoints${first ? ` (${formatWarning(first)})` : ''}`);
  }
  const withEvents = replaysByEvents(t);
  const vm = addressSpace !== undefined ? replayNamed(t, addressSpace) : withEvents[0] ?? t.vms[0];
  const others = withEvents.filter((o) => o !== vm);
  const notes = [
    `${file}: replayed ${t.parse.records} trace records as ${vm.key} (${vm.plan.vmType}: ${vm.plan.vmTypeReason}), profile ${t.profile}`,
    ...others.map((o) => `${file}: also has ${o.key} (${o.recording.length} events), not debugged in this session (launch attribute "addressSpace": "${o.key}")`),
    ...t.parse.malformed.first.map((w) => `${file}: skipped: ${formatWarning(w)}`),
  ];
  if (t.truncated) notes.push(`${file}:${t.truncated.line}: the replay stopped here after ${t.truncated.maxEvents} events (maxEvents)`);
  const findings = t.findings.filter((f) => f.vm === vm.key);
  notes.push(...findings.slice(0, MAX_NOTED_FINDINGS).map((f) => `${file}:${f.line}: ${f.severity}: ${f.message}`));
  if (findings.length > MAX_NOTED_FINDINGS) notes.push(`${file}: ... and ${findings.length - MAX_NOTED_FINDINGS} more findings (each stops on the "invariant violation" exception filter)`);
  return { recording: vm.recording, vm: vm.plan.vmType, notes, records: { file, lineOf: (seq) => vm.recording.lineOf(seq) } };
}
