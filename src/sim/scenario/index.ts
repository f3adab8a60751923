// The scenario format (*.tdpsim.yaml): loading, validation and the shipped JSON schema.
export { loadScenario, loadScenarioFile } from './load';
export type { LoadOptions } from './load';
export { ScenarioError, formatIssue } from './errors';
export type { ScenarioIssue } from './errors';
export { SCENARIO_SCHEMA, checkSchema } from './schema';
export { effectiveProfile, describeWhatIf } from './profile';
