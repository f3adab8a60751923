// Public API of the review aid (src/patch/), for the CLI and the VS Code extension.
//
//   const review = await reviewPatch(bytes, uri.fsPath, { tree, scenarios, signal, onProgress, wasmDir });
//   review.patches[i].files[j]      post-patch text (show it in a virtual document) + hunks
//     .hunks[k].post / .added       lines in that text to attach a comment thread to
//     .hunks[k].anchors             simulator anchors the hunk touches
//   review.patches[i].behaviour     scenarios before/after; diff.firstDiff.{before,after} = seq to open the stepper at
//   review.remarks                  { file?, line, inputLine, message, reason } (file absent: line of the input)
//   exportReview(review)            mailing-list reply text for an untitled editor
// Nothing here imports `vscode`, writes files or sends anything.
export { reviewPatch, shippedScenarios, scenarioFiles } from './review';
export type { Review, ReviewOptions, PatchReview, FileReview, HunkReview, Remark, ProfileChange } from './review';
export { exportReview, exportReply } from './export';
export type { ExportOptions } from './export';
export { parsePatchInput } from './parse';
export type { ParsedInput, InputKind } from './parse';
export { PatchParseError } from './errors';
export type { InputNote } from './errors';
export type { BehaviourDiff, ScenarioBehaviour, ScenarioRun, RecordingDiff, DiffOp, SignatureEvent, SimulateFn } from './behaviour';
export type { SimSide } from './what-if';
export type { TouchedAnchor } from './touched';
export type { KernelTreeReader } from './tree';
export { fsTree } from './tree';
export { CHECKS } from './remarks';
export type { ReviewCheck, CheckContext, RemarkDraft, ReviewedFile } from './remarks';
