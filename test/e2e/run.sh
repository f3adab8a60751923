#!/usr/bin/env bash
# End-to-end tests in a real VS Code (code-server + headless Chromium); `npm run e2e`.
#   1. setup.sh (cached installs), 2. `npm run package` (production build + .vsix),
#   3. type check of the harness, 4. the extension-host suite, 5. the browser suite.
# Usage: test/e2e/run.sh [all|exthost|ui] [--grep <regexp>]
# Ends with "N passed, N failed" over both suites. Failures leave screenshots and logs in test-artifacts/.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
WHICH=${1:-all}; [ $# -gt 0 ] && shift
# On SIGTERM pass it on to the runners, which stop their code-server and Chromium process groups.
trap 'trap - TERM; kill -TERM 0' TERM

bash test/e2e/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
bash scripts/package.sh > "${TMPDIR:-/tmp}/tdp-e2e-package.log" 2>&1 \
  || { cat "${TMPDIR:-/tmp}/tdp-e2e-package.log"; echo "0 passed, 1 failed"; exit 1; }
npx tsc -p test/e2e || { echo "0 passed, 1 failed"; exit 1; }

PASSED=0 FAILED=0
suite() {   # suite <name> <runner.ts> [args]: runs it, adds its closing counts
  local name=$1 runner=$2 out; shift 2
  out=$(mktemp)
  echo "== e2e $name suite"
  node --require tsx/cjs "test/e2e/harness/$runner" "$@" 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  local line; line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
  rm -f "$out"
  local p f; p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
  [ -n "$line" ] || { p=0; f=1; }
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
}
case $WHICH in
  all) suite extension-host run-exthost.ts "$@"; suite ui run-ui.ts "$@" ;;
  exthost) suite extension-host run-exthost.ts "$@" ;;
  ui) suite ui run-ui.ts "$@" ;;
  *) echo "usage: test/e2e/run.sh [all|exthost|ui] [--grep <regexp>]" >&2; exit 2 ;;
esac
echo "e2e: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
