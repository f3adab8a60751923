// The "TDP MMU Scenarios" view in the explorer: the scenarios shipped with the extension and
// those in the workspace, each with a run action. A scenario that does not load shows its first
// problem (file:line:col) instead of failing later when run.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionServices } from '../services';
import type * as ScenarioLoader from '../../sim/scenario';

export const SCENARIO_GLOB = '**/*.tdpsim.yaml';
export const SCENARIOS_VIEW = 'tdpMmuSim.scenarios';
/** Workspace scenarios listed at most (a kernel tree has none; a test corpus might have many). */
const MAX_WORKSPACE_SCENARIOS = 500;

type Group = { kind: 'group'; label: string; files: string[]; shipped: boolean; expanded: boolean };
type Scenario = { kind: 'scenario'; file: string; shipped: boolean };
type Node = Group | Scenario;

/** Shipped scenarios: <extension>/scenarios/*.tdpsim.yaml, sorted. */
export function shippedScenarios(extensionPath: string): string[] {
  const dir = path.join(extensionPath, 'scenarios');
  try {
    return fs.readdirSync(dir).filter((f) => f.endsWith('.tdpsim.yaml')).sort().map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

export async function workspaceScenarios(exclude: readonly string[]): Promise<string[]> {
  const found = await vscode.workspace.findFiles(SCENARIO_GLOB, '**/node_modules/**', MAX_WORKSPACE_SCENARIOS);
  const skip = new Set(exclude);
  return found.filter((u) => u.scheme === 'file' && !skip.has(u.fsPath)).map((u) => u.fsPath).sort();
}

export class ScenarioTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  private readonly watcher = vscode.workspace.createFileSystemWatcher(SCENARIO_GLOB);
  private readonly subscriptions: vscode.Disposable[];
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly services: ExtensionServices) {
    this.subscriptions = [
      this.watcher,
      this.watcher.onDidCreate(() => this.refresh()),
      this.watcher.onDidDelete(() => this.refresh()),
      this.watcher.onDidChange(() => this.refresh()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()),
    ];
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (node?.kind === 'group') return node.files.map((file) => ({ kind: 'scenario', file, shipped: node.shipped }));
    if (node) return [];
    const shipped = shippedScenarios(this.services.context.extensionPath);
    const workspace = await workspaceScenarios(shipped);
    // The user's own scenarios first; the shipped examples stay folded away once there are some.
    const groups: Group[] = [];
    if (workspace.length) groups.push({ kind: 'group', label: 'Workspace', files: workspace, shipped: false, expanded: true });
    groups.push({ kind: 'group', label: 'Shipped with the extension', files: shipped, shipped: true, expanded: workspace.length === 0 });
    return groups;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'group') {
      const item = new vscode.TreeItem(node.label, node.expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      item.contextValue = 'tdpScenarioGroup';
      item.description = `${node.files.length}`;
      return item;
    }
    const uri = vscode.Uri.file(node.file);
    const item = new vscode.TreeItem(uri, vscode.TreeItemCollapsibleState.None);
    item.label = path.basename(node.file, '.tdpsim.yaml');
    item.contextValue = 'tdpScenario';
    item.command = { command: 'vscode.open', title: 'Open Scenario', arguments: [uri] };
    try {
      // The loader (YAML, JSON schema) is loaded when the view is first shown, not at activation.
      const { loadScenarioFile } = require('../../sim/scenario') as typeof ScenarioLoader;
      const sc = loadScenarioFile(node.file);
      item.description = `${sc.profile} · ${sc.steps.length} steps`;
      item.tooltip = new vscode.MarkdownString(`**${sc.name}** (${sc.profile})\n\n${sc.description ?? ''}`);
    } catch (e) {
      const first = (e instanceof Error ? e.message : String(e)).split('\n')[0];
      item.description = 'does not load';
      item.tooltip = first;
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      item.contextValue = 'tdpScenarioBroken';
    }
    if (!node.shipped) item.description = `${item.description} · ${vscode.workspace.asRelativePath(path.dirname(node.file))}`;
    return item;
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    this.changed.dispose();
  }
}
