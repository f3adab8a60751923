// The review aid in VS Code (loaded on the first review command, never at activation): runs
// reviewPatch() on a patch, mbox or mail against the configured kernel tree, with progress and
// cancel; shows the post-patch files as read-only tdp-review: documents and the review as comment
// threads (threads.ts says which); exports the reply; opens a scenario's behaviour diff in the
// stepper. Reads files and runs our own simulator only, so it all works in Restricted Mode.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionServices } from '../services';
import { SETTING_KEYS } from '../settingsRules';
import type { StepperApi } from '../stepper/index';
import { shippedScenarios, workspaceScenarios } from '../scenarios/scenarioTree';
import { PatchParseError } from '../../patch/errors';
import { exportReview } from '../../patch/export';
import { reviewPatch, type Review } from '../../patch/review';
import { switchesOf } from '../../sim/profiles';
import { postDocUri, type PostDocuments } from './documents';
import { defaultScenarios, selectScenarios, type ScenarioCandidates } from './scenarioChoice';
import { parseExportLink, parseRevealLink, parseStepperLink, LINK_COMMANDS, REVIEWABLE, REVIEWING_CONTEXT, type Parsed } from './links';
import { reviewSummary, reviewView, type ThreadPlace, type ThreadView } from './threads';

export const COMMENT_CONTROLLER_ID = 'tdpMmuSim.review';

/** One review on screen: its input, what the core found, and what we created for it. */
export interface ReviewEntry {
  id: number;
  input: vscode.Uri;
  review: Review;
  threads: vscode.CommentThread[];
  /** Post-patch documents by the (patch, file) they show. */
  documents: { uri: vscode.Uri; patch: number; file: string }[];
}

const AUTHOR: vscode.CommentAuthorInformation = { name: 'TDP MMU Simulator' };

export class ReviewSession implements vscode.Disposable {
  private readonly controller = vscode.comments.createCommentController(COMMENT_CONTROLLER_ID, 'TDP MMU Review');
  private readonly entries = new Map<number, ReviewEntry>();
  private nextId = 1;

  constructor(private readonly services: ExtensionServices, private readonly docs: PostDocuments, private readonly stepper: StepperApi) {}

  /** Open reviews, oldest first. */
  get reviews(): readonly ReviewEntry[] {
    return [...this.entries.values()];
  }

  /**
   * "TDP MMU: Review Patch…": the file given (explorer, editor title), the active patch, or one
   * picked; with the scenarios of tdpMmuSim.review.scenarios.
   */
  async review(arg?: unknown): Promise<ReviewEntry | undefined> {
    const input = arg instanceof vscode.Uri ? arg : await this.pickInput();
    if (!input) return undefined;
    return this.run(input, await this.configuredScenarios(await this.candidates()));
  }

  /** "TDP MMU: Review Patch with Scenarios…": the same input, then the scenarios picked in a QuickPick. */
  async reviewWithScenarios(arg?: unknown): Promise<ReviewEntry | undefined> {
    const input = arg instanceof vscode.Uri ? arg : await this.pickInput();
    if (!input) return undefined;
    const scenarios = await this.pickScenarios();
    return scenarios && this.run(input, scenarios);
  }

  private async run(input: vscode.Uri, scenarios: string[]): Promise<ReviewEntry | undefined> {
    const name = vscode.workspace.asRelativePath(input);
    let bytes: Uint8Array | string;
    try {
      // What the user sees: an open editor's text (maybe unsaved), else the bytes (mail charsets).
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === input.toString());
      bytes = open?.isDirty ? open.getText() : await vscode.workspace.fs.readFile(input);
    } catch (e) {
      void vscode.window.showErrorMessage(`TDP MMU: cannot read ${name}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
    const tree = await this.services.settings.kernelTree();
    if (!tree.root) {
      void vscode.window.showWarningMessage(
        `TDP MMU: no kernel tree${tree.problem ? ` (${tree.problem})` : ''}: the hunks of ${name} are reviewed from their own content only, without applying them or simulating.`,
        'Open Setting',
      ).then((c) => c && vscode.commands.executeCommand('workbench.action.openSettings', 'tdpMmuSim.kernelTree'));
    }
    let review: Review;
    try {
      review = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `TDP MMU: Reviewing ${name}`, cancellable: true },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort(new vscode.CancellationError()));
          return reviewPatch(bytes, name, {
            tree: tree.root,
            scenarios,
            wasmDir: this.services.context.asAbsolutePath('dist'),
            signal: abort.signal,
            onProgress: (message) => progress.report({ message }),
          });
        },
      );
    } catch (e) {
      this.reportFailure(input, name, e);
      return undefined;
    }
    const entry = this.show(input, review);
    this.services.log.info(`reviewed ${name} against ${tree.root ?? 'no kernel tree'}: ${reviewSummary(review)}`);
    const failed = review.patches.flatMap((p) => p.files.flatMap((f) => f.hunks)).filter((h) => h.status === 'failed').length;
    const message = `TDP MMU: ${reviewSummary(review)}.${failed ? ' The hunks that did not apply are marked on the patch.' : ''}`;
    const actions = review.remarks.length ? ['Export Review'] : [];
    void (failed ? vscode.window.showWarningMessage(message, ...actions) : vscode.window.showInformationMessage(message, ...actions))
      .then((c) => { if (c) void this.export({ review: entry.id }); });
    return entry;
  }

  /** "TDP MMU: Export Review": the reply to the review of the link, of the active editor, or the latest. */
  async export(arg?: unknown): Promise<vscode.TextDocument | undefined> {
    const entry = arg === undefined ? this.activeEntry() : this.entryOf(parseExportLink(arg));
    if (!entry) {
      if (arg === undefined) void vscode.window.showInformationMessage('TDP MMU: no review is open. Run "TDP MMU: Review Patch…" first.');
      return undefined;
    }
    const text = exportReview(entry.review);
    if (!text) {
      void vscode.window.showInformationMessage(`TDP MMU: the review of ${vscode.workspace.asRelativePath(entry.input)} has no remarks to reply with.`);
      return undefined;
    }
    // Untitled: the user edits and sends it; nothing is written or sent by us.
    const doc = await vscode.workspace.openTextDocument({ content: text, language: 'plaintext' });
    await vscode.window.showTextDocument(doc, { preview: false });
    return doc;
  }

  /** Command link: one side of a scenario's behaviour diff in the stepper, at its first difference. */
  async openInStepper(arg: unknown): Promise<void> {
    const link = parseStepperLink(arg);
    const entry = this.entryOf(link);
    if (!entry || !link.ok) return;
    const { patch, scenario, side } = link.value;
    const behaviour = entry.review.patches[patch]?.behaviour;
    const s = behaviour?.scenarios[scenario];
    const sim = behaviour?.[side];
    if (!s || !sim) return this.badLink(`open in stepper: review ${entry.id} has no scenario ${scenario} in patch ${patch}`);
    // The review simulated a what-if variant of a named profile (what-if.ts): the stepper
    // simulates that same variant (deterministic, so event numbers match the diff), and the
    // source says which, so that a reloaded window simulates it again.
    const switches = switchesOf(sim.profile);
    const { controller } = this.stepper;
    const opened = await controller.open({
      kind: 'scenario', path: s.file, profile: sim.name,
      ...(Object.keys(switches).length || sim.loadAs !== sim.name ? { whatIf: { loadAs: sim.loadAs, switches } } : {}),
    });
    if (!opened) return; // the stepper said why
    const seq = s.diff?.firstDiff?.[side];
    controller.seek(Math.min(seq ?? Infinity, opened.rec.length - 1), 'command');
    if (seq == null) vscode.window.setStatusBarMessage(`TDP MMU: ${side} the patch, ${s.name} has no event where the two differ: showing its last event`, 5000);
  }

  /** Command link: a line of a post-patch document or of the reviewed input. */
  async reveal(arg: unknown): Promise<void> {
    const link = parseRevealLink(arg);
    const entry = this.entryOf(link);
    if (!entry || !link.ok) return;
    const { line, patch, file } = link.value;
    const uri = patch === undefined ? entry.input : entry.documents.find((d) => d.patch === patch && d.file === file)?.uri;
    if (!uri) return this.badLink(`reveal: review ${entry.id} has no document of ${file} after patch ${patch}`);
    const at = new vscode.Position(Math.max(0, line - 1), 0);
    await vscode.window.showTextDocument(uri, { selection: new vscode.Range(at, at), preview: true });
  }

  dispose(): void {
    for (const id of [...this.entries.keys()]) this.close(id);
    this.controller.dispose();
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private async pickInput(): Promise<vscode.Uri | undefined> {
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active?.scheme === 'file' && REVIEWABLE.test(active.path)) return active;
    const picked = await vscode.window.showOpenDialog({
      title: 'TDP MMU: review which patch, mbox or mail?',
      openLabel: 'Review',
      canSelectMany: false,
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      filters: { 'Patches and mails': ['patch', 'diff', 'mbx', 'mbox', 'eml', 'txt'], 'All files': ['*'] },
    });
    return picked?.[0];
  }

  /** The shipped scenarios, and the workspace's with their paths relative to their folder. */
  private async candidates(): Promise<ScenarioCandidates> {
    const shipped = shippedScenarios(this.services.context.extensionPath);
    const workspace = (await workspaceScenarios(shipped))
      .map((file) => ({ file, relative: vscode.workspace.asRelativePath(file, false).replace(/\\/g, '/') }));
    return { shipped, workspace };
  }

  /** The scenarios tdpMmuSim.review.scenarios selects; warns about entries that match none. */
  private async configuredScenarios(c: ScenarioCandidates): Promise<string[]> {
    const key = SETTING_KEYS.reviewScenarios;
    const { files, unmatched } = selectScenarios(c, this.services.settings.current.reviewScenarios, readText);
    if (unmatched.length) {
      const fallback = files.length ? '' : '; using the shipped and workspace scenarios';
      const message = `${key}: ${unmatched.map((p) => JSON.stringify(p)).join(', ')} match${unmatched.length > 1 ? '' : 'es'} no scenario${fallback}.`;
      this.services.log.warn(message);
      void vscode.window.showWarningMessage(`TDP MMU Simulator: ${message}`, 'Open Setting')
        .then((choice) => choice && vscode.commands.executeCommand('workbench.action.openSettings', key));
    }
    return files.length ? files : defaultScenarios(c, readText);
  }

  /** Multi-select QuickPick of every candidate, the configured ones checked; undefined if dismissed. */
  private async pickScenarios(): Promise<string[] | undefined> {
    const c = await this.candidates();
    const checked = new Set(await this.configuredScenarios(c));
    type Item = vscode.QuickPickItem & { file?: string };
    const item = (file: string, description: string): Item =>
      ({ label: path.basename(file, '.tdpsim.yaml'), description, picked: checked.has(file), file });
    const items: Item[] = [
      { label: 'Shipped with the extension', kind: vscode.QuickPickItemKind.Separator },
      ...c.shipped.map((f) => item(f, '')),
      ...(c.workspace.length ? [{ label: 'Workspace', kind: vscode.QuickPickItemKind.Separator }] : []),
      ...c.workspace.map((w) => item(w.file, w.relative)),
    ];
    const picked = await vscode.window.showQuickPick(items, {
      canPickMany: true,
      title: 'TDP MMU: Review with which scenarios?',
      placeHolder: 'Checked scenarios are simulated before and after the patch and their behaviour diffed',
    });
    return picked?.flatMap((p) => (p.file ? [p.file] : []));
  }

  private reportFailure(input: vscode.Uri, name: string, e: unknown): void {
    if (e instanceof vscode.CancellationError || (e instanceof Error && e.name === 'AbortError')) {
      vscode.window.setStatusBarMessage(`TDP MMU: review of ${name} cancelled`, 5000);
      return;
    }
    if (e instanceof PatchParseError) {
      // The core names file, line (and column): take the user there.
      this.services.log.warn(`review: ${e.message}`);
      void vscode.window.showErrorMessage(`TDP MMU: cannot review ${e.message}`, 'Go to Line').then((c) => {
        if (!c) return;
        const at = new vscode.Position(Math.max(0, e.line - 1), Math.max(0, (e.column ?? 1) - 1));
        void vscode.window.showTextDocument(input, { selection: new vscode.Range(at, at) });
      });
      return;
    }
    this.services.log.error(`review of ${name}: ${e instanceof Error ? e.stack : String(e)}`);
    void vscode.window.showErrorMessage(`TDP MMU: the review of ${name} failed: ${e instanceof Error ? e.message : String(e)}`, 'Show Log')
      .then((c) => c && this.services.log.show());
  }

  /** Replaces any earlier review of the same input with this one. */
  private show(input: vscode.Uri, review: Review): ReviewEntry {
    for (const e of this.entries.values()) if (e.input.toString() === input.toString()) this.close(e.id);
    const id = this.nextId++;
    const view = reviewView(review, id);
    for (const d of view.documents) this.docs.set(d.key, d.text);
    const uriOf = (p: ThreadPlace) => (p.kind === 'post' ? postDocUri(p.key) : input);
    const entry: ReviewEntry = {
      id, input, review,
      threads: view.threads.map((t) => this.thread(uriOf(t.place), t)),
      documents: view.documents.map((d) => ({ uri: postDocUri(d.key), patch: d.patch, file: d.file })),
    };
    this.entries.set(id, entry);
    void vscode.commands.executeCommand('setContext', REVIEWING_CONTEXT, true);
    if (view.focus) {
      const at = new vscode.Position(view.focus.line - 1, 0);
      void vscode.window.showTextDocument(uriOf(view.focus.place), { viewColumn: vscode.ViewColumn.Beside, preview: true, selection: new vscode.Range(at, at) });
    }
    return entry;
  }

  private thread(uri: vscode.Uri, t: ThreadView): vscode.CommentThread {
    const body = new vscode.MarkdownString(t.body);
    body.isTrusted = { enabledCommands: LINK_COMMANDS };
    const comment: vscode.Comment = { body, mode: vscode.CommentMode.Preview, author: AUTHOR, contextValue: t.kind };
    const range = new vscode.Range(t.startLine - 1, 0, t.endLine - 1, 0);
    const thread = this.controller.createCommentThread(uri, range, [comment]);
    thread.label = t.label;
    thread.canReply = false;
    thread.contextValue = t.kind;
    thread.collapsibleState = t.expanded ? vscode.CommentThreadCollapsibleState.Expanded : vscode.CommentThreadCollapsibleState.Collapsed;
    if (t.unresolved) thread.state = vscode.CommentThreadState.Unresolved;
    return thread;
  }

  private close(id: number): void {
    const e = this.entries.get(id);
    if (!e) return;
    for (const t of e.threads) t.dispose();
    for (const d of e.documents) this.docs.delete(d.uri.path);
    this.entries.delete(id);
    if (this.entries.size === 0) void vscode.commands.executeCommand('setContext', REVIEWING_CONTEXT, false);
  }

  /** The review the active editor shows (its input or one of its post-patch documents), else the latest. */
  private activeEntry(): ReviewEntry | undefined {
    const uri = vscode.window.activeTextEditor?.document.uri.toString();
    const all = this.reviews;
    return all.find((e) => e.input.toString() === uri || e.documents.some((d) => d.uri.toString() === uri)) ?? all[all.length - 1];
  }

  private entryOf(link: Parsed<{ review: number }>): ReviewEntry | undefined {
    if (!link.ok) {
      this.badLink(link.error);
      return undefined;
    }
    const e = this.entries.get(link.value.review);
    if (!e) void vscode.window.showInformationMessage('TDP MMU: that review is no longer open. Run "TDP MMU: Review Patch…" again.');
    return e;
  }

  private badLink(error: string): void {
    this.services.log.warn(`review link: ${error}`);
    void vscode.window.showErrorMessage(`TDP MMU: ${error}`);
  }
}

function readText(file: string): string | undefined {
  try { return fs.readFileSync(file, 'utf8'); } catch { return undefined; }
}
