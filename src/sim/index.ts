// Public API of the simulator core. Everything outside src/sim/ imports from here (or from the
// contract files types.ts, scenario-types.ts, anchors.ts).
export * from './types';
export * from './spte';
export * from './levels';
export { RecordingBuilder, eventToJSON, recordingToJSON } from './recording';
export type { EventInput, RecordingBuilderOptions } from './recording';
export type { TableKind } from './table-store';
export { checkMaxEvents, simulate, simulateWithProfile, SimInputError } from './simulate';
export type { SimulateOptions } from './simulate';
export { PROFILES, profileByName, switchesOf, withSwitches, SWITCH_KEYS } from './profiles';
export type { Profile, ProfileSwitches } from './profiles';
export { TDX_STATUS, tdxStatusByName, tdxStatusName, isTdxStatusName } from './tdx-status';
export type { TdxStatusName } from './tdx-status';
export { SEAMCALLS, isSeamcallName } from './tdx-module';
export type { SeamcallName } from './tdx-module';
