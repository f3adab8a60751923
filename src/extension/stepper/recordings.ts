// Where a stepping session's recording comes from: a scenario simulated by the core, or an ftrace
// file replayed. Errors name the file, line and column (ScenarioError / trace errors) and are
// shown as they are; cancellation (trace imports can be long) throws vscode.CancellationError.
import * as path from 'path';
import * as vscode from 'vscode';
import type { Settings } from '../settingsRules';
import type { ProfileName, Recording } from '../../sim/types';
import { loadScenarioFile, ScenarioError } from '../../sim/scenario';
import { SimInputError, simulate, simulateWithProfile, type SimulateOptions } from '../../sim/simulate';
import { withSwitches } from '../../sim/profiles';
import type * as TraceApi from '../../trace';
import type { VmReplay } from '../../trace';
import type { VmKind } from './format';
import type { RecordingSource, ScenarioSource, TraceFileSource } from './protocol';

/** A recording that cannot be made; the message is for the user as it is. */
export class RecordingLoadError extends Error {}

export interface Loaded {
  recording: Recording;
  vm: VmKind;
  /** The source with what loading decided (the address space chosen in a trace of several). */
  source: RecordingSource;
  /** A trace's replayed address space. */
  replay?: VmReplay;
}

export interface LoadContext {
  settings: Settings;
  token: vscode.CancellationToken;
  progress(message: string, fraction?: number): void;
  /** Notes for the output channel (trace findings, VMs not shown). */
  log(message: string): void;
}

/**
 * The profile to simulate: the one the source names (Run with profile…), else the
 * tdpMmuSim.profile setting when it is not `auto`, else the scenario's own.
 */
export function profileFor(source: RecordingSource, settings: Settings): ProfileName | undefined {
  return source.profile ?? (settings.profile === 'auto' ? undefined : settings.profile);
}

export async function loadRecording(source: RecordingSource, ctx: LoadContext): Promise<Loaded> {
  return source.kind === 'trace' ? loadTrace(source, ctx) : loadScenario(source, ctx);
}

/** Links the VS Code cancellation token to an AbortSignal for the core's long-running calls. */
function abortOn(token: vscode.CancellationToken): { signal: AbortSignal; dispose(): void } {
  const abort = new AbortController();
  const sub = token.onCancellationRequested(() => abort.abort(new vscode.CancellationError()));
  return { signal: abort.signal, dispose: () => sub.dispose() };
}

/**
 * Replays an ftrace / trace-cmd text file (src/trace). A trace of several address spaces (SMM,
 * or VMs told apart by TGID) shows the one the source names, else the one the user picks (most
 * events first); the others and every finding go to the log.
 */
async function loadTrace(source: TraceFileSource, ctx: LoadContext): Promise<Loaded> {
  const { importTraceFile, identityOfKey, NotATraceError, replaysByEvents, replayNamed } = require('../../trace') as typeof TraceApi;
  const abort = abortOn(ctx.token);
  let reported = 0;
  try {
    const t = await importTraceFile(source.path, {
      signal: abort.signal,
      profile: profileFor(source, ctx.settings),
      maxEvents: ctx.settings.maxEvents,
      // A chosen address space says how VMs were told apart ("tgid:42" or "vm/as1"), whatever
      // the setting is now.
      vmIdentity: source.addressSpace === undefined ? ctx.settings.traceVmIdentity : identityOfKey(source.addressSpace),
      onProgress: (p) => {
        const fraction = p.totalBytes ? p.bytesRead / p.totalBytes : undefined;
        ctx.progress(`${p.records.toLocaleString()} records`, fraction === undefined ? undefined : fraction - reported);
        if (fraction !== undefined) reported = fraction;
      },
    });
    const vms = replaysByEvents(t);
    if (vms.length === 0) {
      throw new RecordingLoadError(`${source.path}: no KVM MMU tracepoint records (kvmmmu:*, kvm:kvm_page_fault) in ${t.parse.lines} lines`);
    }
    let shown: VmReplay;
    try {
      shown = source.addressSpace !== undefined ? replayNamed(t, source.addressSpace) : vms.length === 1 ? vms[0] : await pickAddressSpace(vms, source.path);
    } catch (e) {
      throw e instanceof vscode.CancellationError ? e : new RecordingLoadError((e as Error).message);
    }
    if (t.truncated) ctx.log(`${source.path}:${t.truncated.line}: the replay stopped here after ${t.truncated.maxEvents} events (tdpMmuSim.maxEvents)`);
    for (const v of vms) if (v !== shown) ctx.log(`${source.path}: also has ${v.key} (${v.recording.length} events), not shown`);
    for (const f of t.findings) ctx.log(`${source.path}:${f.line}: ${f.message}`);
    return { recording: shown.recording, vm: shown.plan.vmType, source: vms.length > 1 ? { ...source, addressSpace: shown.key } : source, replay: shown };
  } catch (e) {
    if (e instanceof NotATraceError) throw new RecordingLoadError(e.message);
    if (e instanceof Error && e.name === 'AbortError') throw new vscode.CancellationError();
    throw e;
  } finally {
    abort.dispose();
  }
}

/** Asks which address space to step through; cancelling cancels the open. */
async function pickAddressSpace(vms: VmReplay[], file: string): Promise<VmReplay> {
  const picked = await vscode.window.showQuickPick(
    vms.map((v) => ({ label: v.key, description: `${v.recording.length.toLocaleString()} events, ${v.findings.length} findings`, detail: v.plan.vmTypeReason, v })),
    { title: `TDP MMU: ${path.basename(file)} has ${vms.length} address spaces; step through which?` },
  );
  if (!picked) throw new vscode.CancellationError();
  return picked.v;
}

async function loadScenario(source: ScenarioSource, ctx: LoadContext): Promise<Loaded> {
  const { whatIf } = source;
  let scenario;
  try {
    scenario = loadScenarioFile(source.path, { profile: whatIf ? whatIf.loadAs : profileFor(source, ctx.settings) });
  } catch (e) {
    if (e instanceof ScenarioError) throw new RecordingLoadError(e.message);
    throw e;
  }
  ctx.progress(`${scenario.name} (${scenario.profile})`);
  const abort = abortOn(ctx.token);
  try {
    let reported = 0;
    const opts: SimulateOptions = {
      maxEvents: ctx.settings.maxEvents,
      signal: abort.signal,
      onProgress: (done, total) => {
        const fraction = total > 0 ? done / total : 0;
        if (fraction - reported >= 0.05) {
          ctx.progress(`${scenario.name}: step ${done} of ${total}`, fraction - reported);
          reported = fraction;
        }
      },
    };
    // A what-if variant (a review's behaviour diff) is simulated exactly as the review did.
    const recording = whatIf && source.profile
      ? simulateWithProfile(scenario, withSwitches(source.profile, whatIf.switches), opts)
      : simulate(scenario, { ...opts, profile: profileFor(source, ctx.settings) });
    return { recording, vm: scenario.vm.type, source };
  } catch (e) {
    if (e instanceof SimInputError) throw new RecordingLoadError(e.message);
    throw e;
  } finally {
    abort.dispose();
  }
}

/** The VM type of a recording made elsewhere: its scenario's, else what its profile implies. */
export function vmOf(source: RecordingSource, recording: Recording): VmKind {
  if (source.kind === 'scenario') {
    try {
      return loadScenarioFile(source.path).vm.type;
    } catch {
      // The file changed or went away since it was simulated: fall back on the profile.
    }
  }
  return recording.profile === 'pre-tdx' ? 'vmx' : 'tdx';
}
