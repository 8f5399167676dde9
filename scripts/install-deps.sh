#!/usr/bin/env bash
# Installs what geostream's build and tests need.
#   install-deps.sh apt   Debian packages listed in scripts/apt/*.txt (root: installs;
#                         otherwise prints the exact apt command and continues)
#   install-deps.sh npm   npm packages from package-lock.json
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
apt)
  mapfile -t wanted < <(cat scripts/apt/*.txt 2>/dev/null | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
  missing=()
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && exit 0
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Some tests need Debian packages that are not installed. Run:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    echo "(tests that need them will fail and say which package is missing)" >&2
  fi
  ;;
npm)
  # `npm install`, not `npm ci`: the lock cannot list optional native packages that the
  # registry lacks for other platforms (@matrixai/quic-darwin-*), and `npm ci` refuses
  # such a lock. With the lock in sync, `npm install` installs exactly what it pins.
  # Native dependencies (better-sqlite3) build from source with node-gyp for the machine's
  # Node. node-gyp downloads that Node's headers unless told where they are, and a closed
  # network refuses the download. When npm is not already pointed at headers, use the ones
  # installed beside the running Node if they are of its exact version.
  if [ -z "${npm_config_nodedir:-}" ] && [ "$(npm config get nodedir 2>/dev/null)" = "undefined" -o -z "$(npm config get nodedir 2>/dev/null)" ]; then
    node_prefix="$(dirname "$(dirname "$(command -v node)")")"
    if [ -f "$node_prefix/include/node/node_version.h" ] && [ "$(node -p '
        const h = require("fs").readFileSync(process.argv[1], "utf8");
        const v = (k) => (h.match(new RegExp("define NODE_" + k + "_VERSION (\\d+)")) || [])[1];
        `v${v("MAJOR")}.${v("MINOR")}.${v("PATCH")}` === process.version' "$node_prefix/include/node/node_version.h")" = "true" ]; then
      echo "node-gyp: building for $(node -v) against the headers in $node_prefix/include/node"
      export npm_config_nodedir="$node_prefix"
    fi
  fi
  echo "installing npm packages (npm install from package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error
  ;;
*)
  echo "usage: $0 apt|npm" >&2
  exit 2
  ;;
esac
