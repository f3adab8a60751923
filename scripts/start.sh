#!/usr/bin/env bash
# `npm start`: the extension in a real VS Code (code-server, opened in your browser) on a default
# workspace: a copy of the shipped scenarios/, plus the kernel tree TDP_KERNEL_TREE points to (or
# the fixture kernel trees). Installs what it needs (cached), builds, packages, installs the .vsix,
# prints the URL and runs until Ctrl-C.  Port: TDP_PORT (default 8080, or a free one).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
bash test/e2e/setup.sh
log=$(mktemp)
bash scripts/package.sh > "$log" 2>&1 || { cat "$log"; exit 1; }
rm -f "$log"
exec node --require tsx/cjs scripts/start.ts
