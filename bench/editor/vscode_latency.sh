#!/usr/bin/env bash
# One VS Code latency run (code-server + headless Chromium + playwright-core), set up by the e2e test's
# tests/e2e/vscode/code_server.sh; tools from tests/e2e/vscode/setup.sh (same PREFIX).
#   GRADGUARD_PYTHON   interpreter with gradguard installed
#   SCRIPT             the training script to open; COMMENT_LINE, BLANK_LINE, FINDING, PASTE: see vscode_latency.js
#   WORK               scratch folder; the language client's log (with its trace) is copied to $WORK/out/client.log
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VSIX="${VSIX:-$REPO/gradguard-0.1.0.vsix}"
INTERPRETER="$GRADGUARD_PYTHON"
mkdir -p "$WORK/ws"
cp "$SCRIPT" "$WORK/ws/"
EXTRA_SETTINGS='"security.workspace.trust.enabled": false,
  "files.autoSave": "off",
  "gradguard.trace.server": "verbose",'
# --log trace: the extension's log channel then keeps the language client's message trace (with times)
CS_EXTRA_ARGS="--log trace"
source "$REPO/tests/e2e/vscode/code_server.sh"
FILE="$(basename "$SCRIPT")" NODE_PATH="$TOOLS_DIR/node_modules" CS_PORT=$PORT WS="$WORK/ws" OUT="$WORK/out" \
  node "$HERE/vscode_latency.js"
rc=$?
cat "$WORK"/data/logs/*/exthost*/gradguard.gradguard/GradGuard.log > "$WORK/out/client.log" 2>/dev/null
exit $rc
