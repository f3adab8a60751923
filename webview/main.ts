// Entry of the stepper webview bundle (dist/webview.js, built by scripts/build.mjs).
// Placeholder until the stepper webview lands here; it has nothing to run yet.
export {};
