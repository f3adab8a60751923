#!/usr/bin/env node
// Launcher. In a source checkout (src/ present and tsx installed) it runs the TypeScript through
// tsx, so a dist/cli.js left over from an earlier `npm run build` can never answer with stale
// code; otherwise it uses the bundle (dist/cli.js, made by `npm run build`).
'use strict';
const path = require('path');
const fs = require('fs');
const source = path.join(__dirname, '..', 'src', 'cli', 'main.ts');
const bundled = path.join(__dirname, '..', 'dist', 'cli.js');
function tsxInstalled() {
  try { require.resolve('tsx/cjs'); return true; } catch { return false; }
}
if (fs.existsSync(source) && tsxInstalled()) {
  require('tsx/cjs');
  require(source).runFromProcess();
} else {
  require(bundled).runFromProcess();
}
