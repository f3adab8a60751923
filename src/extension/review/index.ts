// Registers the review aid: its commands and the tdp-review: document provider. Kept cheap for
// activation: the review core (parser, tree-sitter, simulator) and the comment controller are
// loaded by session.ts when a review command first runs.
import * as vscode from 'vscode';
import type { ExtensionServices } from '../services';
import type { StepperApi } from '../stepper/index';
import { PostDocuments } from './documents';
import { EXPORT_REVIEW_COMMAND, OPEN_IN_STEPPER_COMMAND, REVEAL_COMMAND, REVIEW_PATCH_COMMAND, REVIEW_SCHEME, REVIEW_WITH_SCENARIOS_COMMAND } from './links';
import type * as Session from './session';

/** What the extension-host tests reach through the extension's API. */
export interface ReviewApi {
  /** The review session, once a review command has run. */
  readonly session: Session.ReviewSession | undefined;
}

export function registerReview(services: ExtensionServices, stepper: StepperApi): ReviewApi {
  const docs = new PostDocuments();
  let session: Session.ReviewSession | undefined;
  const get = () => {
    if (!session) {
      const { ReviewSession } = require('./session') as typeof Session;
      session = new ReviewSession(services, docs, stepper);
    }
    return session;
  };
  services.context.subscriptions.push(
    docs,
    vscode.workspace.registerTextDocumentContentProvider(REVIEW_SCHEME, docs),
    vscode.commands.registerCommand(REVIEW_PATCH_COMMAND, (arg?: unknown) => get().review(arg)),
    vscode.commands.registerCommand(REVIEW_WITH_SCENARIOS_COMMAND, (arg?: unknown) => get().reviewWithScenarios(arg)),
    vscode.commands.registerCommand(EXPORT_REVIEW_COMMAND, (arg?: unknown) => get().export(arg)),
    vscode.commands.registerCommand(OPEN_IN_STEPPER_COMMAND, (arg?: unknown) => get().openInStepper(arg)),
    vscode.commands.registerCommand(REVEAL_COMMAND, (arg?: unknown) => get().reveal(arg)),
    { dispose: () => session?.dispose() },
  );
  return { get session() { return session; } };
}
