#!/usr/bin/env bash
# `npm run package`: production build, then dist/tdp-mmu-sim.vsix (install it into a desktop
# VS Code with `code --install-extension dist/tdp-mmu-sim.vsix`). vsce comes from the e2e cache.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source test/e2e/env.sh
bash test/e2e/setup.sh tools
node scripts/build.mjs --production
# --no-dependencies: everything is bundled into dist/;
# --no-rewrite-relative-links: README links to repo files, and the repository URL is a placeholder.
PATH="$E2E_NODE24_DIR/bin:$PATH" "$E2E_VSCE" package --no-dependencies --allow-missing-repository --no-rewrite-relative-links --out dist/tdp-mmu-sim.vsix
