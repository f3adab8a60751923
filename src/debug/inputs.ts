// What a launch's `scenario` attribute names. Shared by the adapter (launch.ts) and the VS Code
// configuration provider (which fills trace-only attributes), so both decide the same way; no
// imports, so the provider can use it without loading the simulator.

/** A YAML file is a scenario to simulate; anything else is a trace to replay. */
export function isScenarioFile(file: string): boolean {
  return /\.ya?ml$/i.test(file);
}
