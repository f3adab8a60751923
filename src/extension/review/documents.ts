// The post-patch files of open reviews as read-only virtual documents (tdp-review:/…). Their text
// lives in memory: a review never writes over the user's files. Registered at activation (cheap)
// so that a tab VS Code restores after a reload says what happened instead of failing.
import * as vscode from 'vscode';
import { REVIEW_SCHEME } from './links';

export const postDocUri = (key: string) => vscode.Uri.from({ scheme: REVIEW_SCHEME, path: key });

export class PostDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  set(key: string, text: string): void {
    this.texts.set(key, text);
    this.changed.fire(postDocUri(key));
  }

  delete(key: string): void {
    if (this.texts.delete(key)) this.changed.fire(postDocUri(key));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.path) ??
      `This post-patch view belongs to a review that is no longer open.\nRun "TDP MMU: Review Patch…" on the patch again to see it.\n`;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
