// What a launch's `scenario` attribute names. Shared by the adapter (launch.ts), the VS Code
// configuration provider (which fills trace-only attributes) and the stepper's debug bridge
// (which reopens the launch's recording), so all decide the same way; no imports, so the
// extension can use it without loading the simulator.

/** A YAML file is a scenario to simulate; anything else is a trace to replay. */
export function isScenarioFile(file: string): boolean {
  return /\.ya?ml$/i.test(file);
}
