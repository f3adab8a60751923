// Public API of trace replay (see README, "Trace replay"). The extension's "TDP MMU: Open Trace…"
// and the debug adapter call importTrace() with progress and an AbortSignal; nothing here
// imports `vscode`.
export { importTrace, importTraceFile, replaysByEvents, replayNamed, DEFAULT_LOOKAHEAD } from './import';
export type { ImportOptions, TraceImport } from './import';
export { fileSource, textSource, parseTrace, readTrace, formatWarning, looksLikeNoTrace, NotATraceError } from './reader';
export type { TraceSource, ParseOptions, ParseProgress, ParseStats, TraceWarning, RecordSink } from './reader';
export type { TraceFinding, VmPlan, VmReplay, RootInference } from './replay';
export { identityOfKey } from './replay';
export { TraceRecording } from './recording';
export type { FindingRule, Severity, VmType } from './rules';
export { summarize, formatSummary, hasProblems } from './summary';
export type { TraceSummary } from './summary';
export { crossCheck, crossCheckReplay, formatCrossCheck, crossCheckToJSON } from './crosscheck';
export type { CrossCheckOptions, CrossCheckResult, Disagreement } from './crosscheck';
export { recordingToTrace, recordingTraceLines } from './export';
export type { ExportOptions } from './export';
export { parseTraceLine, isRecord } from './line';
export { formatTraceLine } from './format';
export type { TraceRecord, TraceEventFields, TraceEventName } from './tracepoints';
export { TRACEPOINT_NAMES } from './tracepoints';
