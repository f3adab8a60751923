// Where a stepping session's recording comes from: a scenario simulated by the core, or an ftrace
// file replayed. Errors name the file, line and column (ScenarioError / trace errors) and are
// shown as they are; cancellation (trace imports can be long) throws vscode.CancellationError.
import * as vscode from 'vscode';
import type { Settings } from '../settings';
import type { ProfileName, Recording } from '../../sim/types';
import { loadScenarioFile, ScenarioError } from '../../sim/scenario';
import { SimInputError, simulate } from '../../sim/simulate';
import type { VmKind } from './format';
import type { RecordingSource } from './protocol';

/** A recording that cannot be made; the message is for the user as it is. */
export class RecordingLoadError extends Error {}

export interface Loaded {
  recording: Recording;
  vm: VmKind;
}

export interface LoadContext {
  settings: Settings;
  token: vscode.CancellationToken;
  progress(message: string, fraction?: number): void;
}

/**
 * The profile to simulate: the one the source names (Run with profile…), else the
 * tdpMmuSim.profile setting when it is not `auto`, else the scenario's own.
 */
export function profileFor(source: RecordingSource, settings: Settings): ProfileName | undefined {
  return source.profile ?? (settings.profile === 'auto' ? undefined : settings.profile);
}

export async function loadRecording(source: RecordingSource, ctx: LoadContext): Promise<Loaded> {
  if (source.kind === 'trace') throw new RecordingLoadError(`${source.path}: trace replay is not available yet`);
  let scenario;
  try {
    scenario = loadScenarioFile(source.path, { profile: profileFor(source, ctx.settings) });
  } catch (e) {
    if (e instanceof ScenarioError) throw new RecordingLoadError(e.message);
    throw e;
  }
  ctx.progress(`${scenario.name} (${scenario.profile})`);
  const abort = new AbortController();
  const sub = ctx.token.onCancellationRequested(() => abort.abort(new vscode.CancellationError()));
  try {
    let reported = 0;
    const recording = simulate(scenario, {
      profile: profileFor(source, ctx.settings),
      maxEvents: ctx.settings.maxEvents,
      signal: abort.signal,
      onProgress: (done, total) => {
        const fraction = total > 0 ? done / total : 0;
        if (fraction - reported >= 0.05) {
          ctx.progress(`${scenario.name}: step ${done} of ${total}`, fraction - reported);
          reported = fraction;
        }
      },
    });
    return { recording, vm: scenario.vm.type };
  } catch (e) {
    if (e instanceof SimInputError) throw new RecordingLoadError(e.message);
    throw e;
  } finally {
    sub.dispose();
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
