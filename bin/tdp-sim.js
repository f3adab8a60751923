#!/usr/bin/env node
// Thin launcher: the CLI is bundled to dist/cli.js by `npm run build`; in a source checkout
// without a build it falls back to running the TypeScript through tsx.
'use strict';
const path = require('path');
const fs = require('fs');
const bundled = path.join(__dirname, '..', 'dist', 'cli.js');
if (fs.existsSync(bundled)) {
  require(bundled);
} else {
  require('tsx/cjs');
  require(path.join(__dirname, '..', 'src', 'cli', 'main.ts'));
}
