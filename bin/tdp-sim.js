#!/usr/bin/env node
// Launcher: uses the bundle (dist/cli.js, made by `npm run build`) when present; in a source
// checkout without a build it runs the TypeScript through tsx.
'use strict';
const path = require('path');
const fs = require('fs');
const bundled = path.join(__dirname, '..', 'dist', 'cli.js');
if (fs.existsSync(bundled)) {
  require(bundled).runFromProcess();
} else {
  require('tsx/cjs');
  require(path.join(__dirname, '..', 'src', 'cli', 'main.ts')).runFromProcess();
}
