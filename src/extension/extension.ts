// Extension entry point. activate() must stay cheap (budget: 100 ms, measured by the
// extension-host suite test/e2e/suite/activation.test.ts): register commands and providers here,
// and require() heavy modules (simulator, tree-sitter, webview host) inside their handlers.
import * as vscode from 'vscode';
import { SettingsService } from './settingsService';
import type { ExtensionServices } from './services';
import { registerReview, type ReviewApi } from './review/index';
import { registerStepper, type StepperApi } from './stepper/index';
import { registerDebugger, type TdpDebugSessions } from './debug/index';

/** Returned by activate(), for the extension-host tests. */
export interface ExtensionApi {
  services: ExtensionServices;
  /** Time spent in activate(), in ms. */
  activationMs: number;
  /** The stepper webview, its session and the editor linking (src/extension/stepper/). */
  stepper: StepperApi;
  /** tdp-mmu-sim debug sessions: their positions, and seeking them (src/extension/debug/). */
  debug: TdpDebugSessions;
  /** The review aid: patches as comment threads on their post-patch code (src/extension/review/). */
  review: ReviewApi;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('TDP MMU Simulator', { log: true });
  const settings = new SettingsService(context.extension.packageJSON, log);
  const services: ExtensionServices = { context, log, settings };
  context.subscriptions.push(
    log,
    settings,
    vscode.commands.registerCommand('tdpMmuSim.showLog', () => log.show()),
    vscode.commands.registerCommand('tdpMmuSim.checkSettings', () => settings.check(true)),
  );
  const debug = registerDebugger(services);
  const stepper = registerStepper(services, debug);
  const review = registerReview(services, stepper);
  // Checked after activation so a slow file system never delays it; each problem is a warning.
  setTimeout(() => settings.check(false).catch((e) => log.error(`checking settings: ${e}`)), 0);
  const activationMs = performance.now() - started;
  log.info(`activated in ${activationMs.toFixed(1)} ms: VS Code ${vscode.version}, ` +
    `${vscode.workspace.isTrusted ? 'trusted workspace' : 'Restricted Mode (fully supported: nothing here runs workspace code)'}`);
  return { services, activationMs, stepper, review, debug };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
