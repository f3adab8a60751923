// Public API of the simulator core. Everything outside src/sim/ imports from here (or from the
// contract files types.ts, scenario-types.ts, anchors.ts).
export * from './types';
export * from './spte';
export * from './levels';
export { RecordingBuilder, eventToJSON, recordingToJSON } from './recording';
export type { EventInput, RecordingBuilderOptions } from './recording';
export type { TableKind } from './table-store';
