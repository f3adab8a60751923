// VS Code glue for the debug adapter (src/debug/): the inline adapter factory, launch
// configuration defaults and checks, and the session tracker the stepper bridge uses.
// Nothing heavy is loaded at activation: the adapter and the simulator load on the first launch.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionServices } from '../services';
import { DEBUG_TYPE, TdpDebugSessions } from './sessions';
import { isScenarioFile } from '../../debug/inputs';

export { DEBUG_TYPE, TdpDebugSessions } from './sessions';
export type { DebugPosition } from './sessions';

const SCENARIO = /\.tdpsim\.ya?ml$/i;

/** Registers the debugger; returns the session tracker (also disposed with the extension). */
export function registerDebugger(services: ExtensionServices): TdpDebugSessions {
  const sessions = new TdpDebugSessions();
  services.context.subscriptions.push(
    sessions,
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new InlineAdapterFactory(services, sessions)),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new ConfigurationProvider(services)),
  );
  return sessions;
}

class InlineAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly services: ExtensionServices, private readonly sessions: TdpDebugSessions) {}

  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    // Loaded here, not at activation: the adapter pulls in the simulator and tree-sitter.
    const { TdpDebugSession } = require('../../debug/session') as typeof import('../../debug/session');
    const { defaultSessionDeps } = require('../../debug/launch') as typeof import('../../debug/launch');
    const adapter = new TdpDebugSession(defaultSessionDeps({
      wasmDir: this.services.context.asAbsolutePath('dist'),
      env: process.env,
    }));
    this.sessions.track(session, adapter);
    this.services.log.info(`debugging ${String(session.configuration.scenario)} (session ${session.id})`);
    return new vscode.DebugAdapterInlineImplementation(adapter);
  }
}

class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly services: ExtensionServices) {}

  /** F5 without a launch.json: debug the scenario (or trace) in the active editor. */
  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    if (!config.type && !config.request && !config.name) {
      const doc = vscode.window.activeTextEditor?.document;
      if (!doc || doc.uri.scheme !== 'file') {
        void vscode.window.showErrorMessage('TDP MMU Simulator: open a *.tdpsim.yaml scenario (or an ftrace file) to debug, or add a launch configuration.');
        return undefined;
      }
      // Runs to the first breakpoint (or exception filter); without any it stops at the end.
      return { type: DEBUG_TYPE, request: 'launch', name: `Debug ${path.basename(doc.uri.fsPath)}`, scenario: doc.uri.fsPath };
    }
    return config;
  }

  /** After ${...} substitution: check the scenario exists and fill the kernel tree and the event
   *  limit from settings. */
  async resolveDebugConfigurationWithSubstitutedVariables(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    const base = folder?.uri.fsPath ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (typeof config.scenario !== 'string' || config.scenario.trim() === '') {
      void vscode.window.showErrorMessage(`TDP MMU Simulator: launch configuration "${config.name}" needs "scenario": a *.tdpsim.yaml file or an ftrace text file.`);
      return undefined;
    }
    const scenario = path.resolve(base ?? process.cwd(), config.scenario);
    if (!isFile(scenario)) {
      void vscode.window.showErrorMessage(`TDP MMU Simulator: scenario ${scenario} does not exist${SCENARIO.test(scenario) ? '' : ' (expected a *.tdpsim.yaml scenario or an ftrace text file)'}.`);
      return undefined;
    }
    const current = this.services.settings.current;
    const resolved: vscode.DebugConfiguration = {
      ...config, scenario, cwd: config.cwd ?? base, maxEvents: config.maxEvents ?? current.maxEvents,
      // A trace tells VMs apart as set.
      ...(isScenarioFile(scenario) ? {} : { vmIdentity: config.vmIdentity ?? current.traceVmIdentity }),
    };
    if (!resolved.kernelTree) {
      const tree = await this.services.settings.kernelTree();
      if (tree.root) resolved.kernelTree = tree.root;
      else if (tree.problem) this.services.log.warn(`debug: ${tree.problem}; frames stay symbolic`);
    }
    return resolved;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
