// Bundles the extension with esbuild into dist/:
//   dist/extension.js  the extension host side (node, cjs, `vscode` external)
//   dist/cli.js        the tdp-sim CLI (exports runFromProcess, used by bin/tdp-sim.js)
//   dist/webview.js    the stepper webview (browser, iife), from webview/main.ts
//   dist/*.wasm        tree-sitter runtime and the C grammar, loaded at run time from dist/
// Usage: node scripts/build.mjs [--production] [--watch]
//   --production  minified, no source maps (what `npm run package` ships)
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
};
const node = { ...common, platform: 'node', format: 'cjs', target: 'node20' };

const targets = [
  { ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js' },
  { ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js' },
];

// Stale bundles (and maps of a previous dev build) must not end up in the package.
for (const f of existsSync(dist) ? readdirSync(dist) : []) {
  if (/\.(js|map|wasm)$/.test(f)) rmSync(join(dist, f));
}
mkdirSync(dist, { recursive: true });

const wasm = [
  ...readdirSync(join(root, 'node_modules/web-tree-sitter')).filter((f) => f.endsWith('.wasm')).map((f) => join('node_modules/web-tree-sitter', f)),
  'node_modules/tree-sitter-c/tree-sitter-c.wasm',
];
for (const f of wasm) copyFileSync(join(root, f), join(dist, f.split('/').pop()));

const started = Date.now();
if (watch) {
  for (const t of targets) await (await esbuild.context(t)).watch();
  console.log('build: watching for changes (Ctrl-C to stop)');
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
  console.log(`build: dist/ ${production ? '(production) ' : ''}in ${Date.now() - started} ms`);
}
