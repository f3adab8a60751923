// VS Code glue for settingsRules.ts and linkedTree.ts: reads tdpMmuSim.* (re-reading on change),
// warns about each value it cannot use, with a button to the setting, and finds the kernel tree.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { KernelTree, TDP_MMU_C, resolveKernelTree } from './linkedTree';
import { PropertySchema, SettingProblem, Settings, UserValue, manifestSettings, readSettings } from './settingsRules';

const SECTION = 'tdpMmuSim';

export class SettingsService implements vscode.Disposable {
  private readonly schemas: Record<string, PropertySchema>;
  private readonly changed = new vscode.EventEmitter<Settings>();
  private readonly watcher: vscode.Disposable;
  private state: { settings: Settings; problems: SettingProblem[] };
  /** Problems whose notification is still open. */
  private readonly showing = new Set<string>();

  /** Fires with the new settings after the user changed any tdpMmuSim.* setting. */
  readonly onDidChange = this.changed.event;

  constructor(manifest: unknown, private readonly log: vscode.LogOutputChannel) {
    this.schemas = manifestSettings(manifest);
    this.state = this.read();
    this.watcher = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      this.state = this.read();
      this.warn(this.state.problems);
      this.changed.fire(this.state.settings);
    });
  }

  get current(): Settings {
    return this.state.settings;
  }

  /**
   * Shows a warning for each unusable setting (and kernel tree); with `reportValid`, also says
   * when all is well. Returns the problems found, for the command's caller.
   */
  async check(reportValid: boolean): Promise<{ problems: string[]; kernelTree: KernelTree }> {
    this.state = this.read();
    const tree = await this.kernelTree();
    const problems = this.state.problems.map((p) => p.message);
    if (tree.problem) problems.push(tree.problem + '.');
    this.warn(this.state.problems);
    if (tree.problem) this.warn([{ key: 'tdpMmuSim.kernelTree', message: tree.problem + '.' }]);
    if (reportValid && problems.length === 0) {
      const where = tree.root ? `kernel tree ${tree.root} (from ${tree.from})` : 'no kernel tree (locations stay symbolic)';
      void vscode.window.showInformationMessage(`TDP MMU Simulator settings are valid: ${where}, profile ${this.current.profile}.`);
    }
    return { problems, kernelTree: tree };
  }

  /** The kernel tree to link to, per linkedTree.ts; looks below the workspace folders only when needed. */
  async kernelTree(): Promise<KernelTree> {
    const folders = (vscode.workspace.workspaceFolders ?? [])
      .filter((f) => f.uri.scheme === 'file')
      .map((f) => f.uri.fsPath);
    const inputs = {
      setting: this.current.kernelTree,
      candidates: folders,
      env: process.env.TDP_KERNEL_TREE,
      home: os.homedir(),
      isFile: (p: string) => { try { return fs.statSync(p).isFile(); } catch { return false; } },
    };
    let tree = resolveKernelTree(inputs);
    if (tree.from === 'none' || tree.from === 'TDP_KERNEL_TREE') {
      // The activation event matches the file at any depth (e.g. a workspace holding linux/).
      const deeper = await vscode.workspace.findFiles(`**/${TDP_MMU_C}`, '**/node_modules/**', 5);
      const roots = deeper.map((u) => path.resolve(u.fsPath, ...TDP_MMU_C.split('/').map(() => '..')));
      if (roots.length) tree = resolveKernelTree({ ...inputs, candidates: [...folders, ...roots.sort()] });
    }
    this.log.debug(`kernel tree: ${tree.root ?? 'none'} (${tree.from})`);
    return tree;
  }

  dispose(): void {
    this.watcher.dispose();
    this.changed.dispose();
  }

  private read(): { settings: Settings; problems: SettingProblem[] } {
    const config = vscode.workspace.getConfiguration();
    return readSettings(this.schemas, (key) => userValue(config.inspect(key)));
  }

  /**
   * Logs and shows each problem, once while its notification is open (VS Code would otherwise
   * stack identical ones); does not wait for the user to answer.
   */
  private warn(problems: SettingProblem[]): void {
    for (const p of problems) {
      this.log.warn(p.message);
      if (this.showing.has(p.message)) continue;
      this.showing.add(p.message);
      void vscode.window.showWarningMessage(`TDP MMU Simulator: ${p.message}`, 'Open Setting').then((choice) => {
        this.showing.delete(p.message);
        if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', p.key);
      });
    }
  }
}

/** The most specific value the user set, and where. */
function userValue(i: ReturnType<vscode.WorkspaceConfiguration['inspect']>): UserValue | undefined {
  if (!i) return undefined;
  if (i.workspaceFolderValue !== undefined) return { value: i.workspaceFolderValue, origin: 'workspace folder settings' };
  if (i.workspaceValue !== undefined) return { value: i.workspaceValue, origin: 'workspace settings' };
  if (i.globalValue !== undefined) return { value: i.globalValue, origin: 'user settings' };
  return undefined;
}
