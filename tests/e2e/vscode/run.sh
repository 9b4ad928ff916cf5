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
VSIX="${VSIX:-$REPO/gradguard-0.1.0.vsix}"
EXAMPLES="${EXAMPLES:-$REPO/examples}"
[ -f "$EXAMPLES/notebook__eval_in_cells.ipynb" ] || EXAMPLES=/work/shared/examples
PYTHON="${GRADGUARD_PYTHON:-/work/venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"
WORK="${WORK:-$(mktemp -d /tmp/gradguard-vscode-e2e.XXXXXX)}"
mkdir -p "$WORK/ws"
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
  export SAFE_FILE=fix_all_safe.py UNSAFE_FILE=fix_all_unsafe.py
  export EVAL_FIX_FILE=missing-eval__evaluate_helper_no_eval.py
  # before the loop that runs the forward pass, after the statement that precedes it
  export EVAL_FIX_RE='    total_loss, correct, n = 0\.0, 0, 0\n    model\.eval\(\)\n    for tokens, labels in loader:'
  cp "$EXAMPLES/$FIXALL_FILE" "$EXAMPLES/$EVAL_FIX_FILE" "$WORK/ws/"
  cp "$HERE/fix_all_flavours.py" "$WORK/ws/$SAFE_FILE" && cp "$HERE/fix_all_flavours.py" "$WORK/ws/$UNSAFE_FILE"
  export PROBLEM_RE='GG201' HOVER_RE='GG201[\s\S]*forward-without-no-grad' FIX_RE='Wrap in `with torch\.no_grad' \
    FIXED_RE='with torch\.no_grad\(\):\s*\n\s+logits = model\(images\.to\(device\)\)'
fi
export PY_FILE NOTEBOOK CELL_TEXT='probs = model(sample)'

EXTRA_SETTINGS="$TRUST
  \"editor.hover.delay\": 150,
  \"editor.codeActionsOnSave\": { \"source.fixAll.gradguard\": \"explicit\" },
  \"gradguard.trace.server\": \"${TRACE:-off}\","
source "$HERE/code_server.sh"

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
