#!/usr/bin/env bash
# Every test of the project, as CI runs it (.ci/run calls `npm test`, which calls this).
# Stages: install (idempotent), type check, unit tests (mocha), build, end-to-end tests in a real
# VS Code (test/e2e/run.sh: cached tool setup, .vsix, extension-host and browser suites).
# Every stage runs even after a failure; the last line is "N passed, N failed" over all stages
# (a stage's own test counts, or 1 for a stage without tests). TDP_SKIP_E2E=1 skips the e2e stage
# (reported as SKIPPED, never as passed).
set -uo pipefail
cd "$(dirname "$0")/.."

PASSED=0 FAILED=0 SKIPPED=0 SUMMARY=()
stage() {   # stage <name> <counts: mocha|ours|none> <command...>
  local name=$1 counts=$2; shift 2
  local out; out=$(mktemp)
  local t0=$SECONDS
  echo "== $name"
  "$@" 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]} p f s line
  # Counts: ours (last "N passed, N failed", possibly after "label: "), or mocha's spec reporter.
  line=$(grep -E '^([A-Za-z0-9-]+: )?[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
  if [ "$counts" = ours ] && [ -n "$line" ]; then
    p=$(sed -E 's/^([A-Za-z0-9-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
    f=$(sed -E 's/^([A-Za-z0-9-]+: )?[0-9]+ passed, ([0-9]+) failed.*/\2/' <<<"$line")
    s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || echo 0)
  elif [ "$counts" = mocha ] && grep -qE '^ +[0-9]+ passing' "$out"; then
    p=$(grep -E '^ +[0-9]+ passing' "$out" | tail -1 | grep -oE '[0-9]+' | head -1)
    f=$(grep -E '^ +[0-9]+ failing' "$out" | tail -1 | grep -oE '[0-9]+' | head -1); f=${f:-0}
    s=$(grep -E '^ +[0-9]+ pending' "$out" | tail -1 | grep -oE '[0-9]+' | head -1); s=${s:-0}
  else
    p=1 f=0 s=0; [ "$rc" -eq 0 ] || { p=0; f=1; }
  fi
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1   # a failing stage never counts as all passed
  rm -f "$out"
  PASSED=$((PASSED + p)) FAILED=$((FAILED + f)) SKIPPED=$((SKIPPED + s))
  SUMMARY+=("$(printf '%-12s %4d passed %4d failed %4d skipped %5ds' "$name" "$p" "$f" "$s" $((SECONDS - t0)))")
}

npm_install() {
  [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
}
stage install none npm_install
stage typecheck none npx tsc -p . --noEmit
stage unit mocha npx mocha
stage build none node scripts/build.mjs
if [ "${TDP_SKIP_E2E:-}" = 1 ]; then
  echo "SKIPPED: e2e (TDP_SKIP_E2E=1)"; SUMMARY+=("e2e          SKIPPED (TDP_SKIP_E2E=1)")
else
  stage e2e ours bash test/e2e/run.sh
fi

echo
echo "== summary"
printf '%s\n' "${SUMMARY[@]}"
echo "$PASSED passed, $FAILED failed$([ "$SKIPPED" -gt 0 ] && echo ", $SKIPPED skipped")"
[ "$FAILED" -eq 0 ]
