#!/usr/bin/env bash
# Installs real VS Code for `npm run test:vscode`, offline apart from the npm registry and Debian's
# apt repositories: code-server 4.100.3 (= VS Code 1.100.3, node 20) into a cache outside the repo,
#   ${NETCOST_VSCODE_CACHE:-$HOME/.cache/netcost-vscode}/node_modules/.bin/code-server
# and the apt packages chromium (the browser that loads the workbench), ripgrep and libkrb5-dev.
# Idempotent: skips the install when code-server is already there. Background and the reasons for
# each workaround: the team's docs on real VS Code (shared/docs/real-vscode.md).
set -euo pipefail
start=$SECONDS
cache=${NETCOST_VSCODE_CACHE:-$HOME/.cache/netcost-vscode}
bin=$cache/node_modules/.bin/code-server

# 1. apt packages, only the missing ones, only as root.
missing=()
for p in chromium ripgrep libkrb5-dev; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: missing apt packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "install.sh: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if [ -x "$bin" ]; then
  echo "install.sh: code-server already installed in $cache ($((SECONDS - start)) s)"
  exit 0
fi

# 2. @vscode/ripgrep's postinstall downloads rg from GitHub; seed the cache it checks first
#    ($TMPDIR/vscode-ripgrep-cache-1.15.11/ripgrep-v13.0.0-10-<target>.tar.gz, `rg` at its top level)
#    with Debian's rg, the same ripgrep 13.0.0.
case $(uname -m) in
  x86_64) target=x86_64-unknown-linux-musl ;;
  aarch64) target=aarch64-unknown-linux-musl ;;
  *) echo "install.sh: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
rg_cache=${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11
mkdir -p "$rg_cache"
tar -czf "$rg_cache/ripgrep-v13.0.0-10-$target.tar.gz" -C "$(dirname "$(command -v rg)")" rg
echo "install.sh: seeded $rg_cache with $(command -v rg)"

# 3. code-server, in its own package.json. As root its postinstall needs unsafe-perm, and node-pty's
#    post-install runs `npx node-gyp`, cancelled without yes=true (the global npm config says no).
mkdir -p "$cache"
[ -f "$cache/package.json" ] || echo '{ "private": true }' > "$cache/package.json"
echo "install.sh: npm install code-server@4.100.3 in $cache (about 80 s, 300 MB)"
(cd "$cache" && npm_config_unsafe_perm=true npm_config_yes=true npm install --no-audit --no-fund --loglevel=error code-server@4.100.3)
[ -x "$bin" ] || { echo "install.sh: $bin missing after npm install" >&2; exit 1; }
echo "install.sh: installed $bin ($((SECONDS - start)) s)"
