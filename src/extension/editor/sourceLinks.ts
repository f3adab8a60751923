// VS Code glue around the source linker (src/kernel/): opens the user's kernel tree, keeps it in
// step with the editor buffers (unsaved edits re-resolve incrementally) and answers "where is
// this anchor?" for the stepper, the decorations, hovers and CodeLens. An anchor the linker
// reports absent or ambiguous stays so: it is never placed on some other line.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ExtensionServices } from '../services';
import { ANCHORS, anchorById, type Anchor, type KernelFile } from '../../sim/anchors';
import type { ProfileName } from '../../sim/types';
import type { KernelLinker } from '../../kernel/linker';
import type { Location, Resolution } from '../../kernel/resolve';
import type { LocationView } from '../stepper/protocol';
import { locationView } from './locationView';

/** Edits are re-resolved after the user pauses typing this long. */
const EDIT_DEBOUNCE_MS = 150;

export class SourceLinks implements vscode.Disposable {
  private linker: KernelLinker | undefined;
  private root: string | undefined;
  private profile: ProfileName | undefined;
  private opening: Promise<void> | undefined;
  private readonly cache = new Map<string, Resolution>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private pendingEdit: NodeJS.Timeout | undefined;

  /** Fires when resolutions may have changed (tree opened, buffer edited, file reverted). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly services: ExtensionServices) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeTextDocument((e) => this.edited(e)),
      vscode.workspace.onDidCloseTextDocument((d) => this.closed(d)),
      services.settings.onDidChange(() => { void this.open(this.profile, true); }),
    );
  }

  /** The kernel tree in use, if any. */
  get kernelRoot(): string | undefined {
    return this.linker ? this.root : undefined;
  }

  /**
   * Opens (or re-opens after a settings change) the kernel tree, resolving anchors for `profile`.
   * Without a usable tree everything stays symbolic; the settings service has said why.
   */
  open(profile: ProfileName | undefined, force = false): Promise<void> {
    if (!force && this.opening && profile === this.profile) return this.opening;
    this.profile = profile;
    this.cache.clear();
    this.opening = this.load().finally(() => this.changed.fire());
    return this.opening;
  }

  private async load(): Promise<void> {
    const tree = await this.services.settings.kernelTree();
    if (tree.root === this.root && this.linker) return;
    this.linker?.dispose();
    this.linker = undefined;
    this.root = tree.root;
    if (!tree.root) {
      this.services.log.info('source linking: no kernel tree, locations stay symbolic');
      return;
    }
    const { KernelLinker } = await import('../../kernel/linker');
    try {
      const linker = await KernelLinker.open(tree.root, { wasmDir: path.join(this.services.context.extensionPath, 'dist') });
      // Unsaved editor buffers win over the files on disk.
      for (const doc of vscode.workspace.textDocuments) {
        const f = doc.uri.scheme === 'file' ? linker.fileByPath(doc.uri.fsPath) : undefined;
        if (f && doc.isDirty) linker.updateFile(f, doc.getText());
      }
      this.linker = linker;
      const d = linker.detectProfile();
      this.services.log.info(`source linking: ${tree.root} (detected profile ${d.profile ?? 'unknown'})`);
    } catch (e) {
      this.services.log.error(`source linking: cannot open ${tree.root}: ${e instanceof Error ? e.message : String(e)}`);
      void vscode.window.showWarningMessage(`TDP MMU: cannot link to the kernel tree ${tree.root}: ${e instanceof Error ? e.message : String(e)}. Locations stay symbolic.`);
    }
  }

  /** The kernel generation of the linked tree (tdpMmuSim.profile `auto`), once it is open. */
  async detectedProfile(): Promise<ProfileName | undefined> {
    await this.open(this.profile);
    return this.linker?.detectProfile().profile;
  }

  resolution(anchor: string): Resolution | undefined {
    if (!this.linker || !anchorById(anchor)) return undefined;
    let r = this.cache.get(anchor);
    if (!r) {
      r = this.linker.resolve(anchor, this.profile);
      this.cache.set(anchor, r);
    }
    return r;
  }

  /** Where an anchor is, for the stepper and the status bar. */
  readonly locate = (anchor: string): LocationView => locationView(anchor, this.resolution(anchor));

  found(anchor: string): Location | undefined {
    const r = this.resolution(anchor);
    return r?.status === 'found' ? r.location : undefined;
  }

  /** The kernel file role of a document, when it is one of the linked tree's files. */
  kernelFileOf(doc: vscode.TextDocument): KernelFile | undefined {
    if (!this.linker || doc.uri.scheme !== 'file') return undefined;
    return this.linker.fileByPath(doc.uri.fsPath)?.kernelFile;
  }

  /** Anchors of a kernel file (all of ANCHORS that live there). */
  anchorsOf(kf: KernelFile): readonly Anchor[] {
    return ANCHORS.filter((a) => a.file === kf);
  }

  /**
   * Anchors placed at a 1-based line of a document: decision points whose statement covers
   * the line, and functions whose signature starts there.
   */
  anchorsAtLine(doc: vscode.TextDocument, line: number): string[] {
    const kf = this.kernelFileOf(doc);
    if (!kf) return [];
    const out: string[] = [];
    for (const a of this.anchorsOf(kf)) {
      const loc = this.found(a.id);
      if (!loc) continue;
      const hit = a.pattern.kind === 'function' ? loc.startLine === line : loc.startLine <= line && line <= loc.endLine;
      if (hit) out.push(a.id);
    }
    return out;
  }

  /** The name of the function containing a 1-based line of a linked document. */
  functionAt(doc: vscode.TextDocument, line: number): string | undefined {
    if (!this.linker || doc.uri.scheme !== 'file') return undefined;
    return this.linker.fileByPath(doc.uri.fsPath)?.structure.functionAt(line)?.name;
  }

  private edited(e: vscode.TextDocumentChangeEvent): void {
    if (!this.linker || e.contentChanges.length === 0 || e.document.uri.scheme !== 'file') return;
    const f = this.linker.fileByPath(e.document.uri.fsPath);
    if (!f) return;
    try {
      this.linker.updateFile(f, e.contentChanges.map((c) => ({ range: c.range, text: c.text })));
    } catch (err) {
      // Out of step with the buffer (should not happen): take the whole text instead.
      this.services.log.warn(`source linking: ${err instanceof Error ? err.message : String(err)}; re-reading the buffer`);
      this.linker.updateFile(f, e.document.getText());
    }
    this.invalidate();
  }

  /** A dirty buffer closed without saving: the file on disk is the truth again. */
  private closed(doc: vscode.TextDocument): void {
    if (!this.linker || doc.uri.scheme !== 'file') return;
    const f = this.linker.fileByPath(doc.uri.fsPath);
    if (!f) return;
    try {
      const disk = fs.readFileSync(doc.uri.fsPath, 'utf8');
      if (disk !== f.text) {
        this.linker.updateFile(f, disk);
        this.invalidate();
      }
    } catch (e) {
      this.services.log.warn(`source linking: cannot re-read ${doc.uri.fsPath}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private invalidate(): void {
    this.cache.clear();
    if (this.pendingEdit) clearTimeout(this.pendingEdit);
    this.pendingEdit = setTimeout(() => { this.pendingEdit = undefined; this.changed.fire(); }, EDIT_DEBOUNCE_MS);
  }

  dispose(): void {
    if (this.pendingEdit) clearTimeout(this.pendingEdit);
    for (const d of this.subscriptions) d.dispose();
    this.changed.dispose();
    this.linker?.dispose();
  }
}
