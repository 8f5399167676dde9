#!/usr/bin/env bash
# A Debian trixie root file system holding python3-aioquic and python3-cbor2: the
# second, independent QUIC stack the conformance suite (test/e2e/) drives the server
# with. aioquic is not in bookworm, PyPI is not reachable, and bookworm's
# python3-cryptography (38) is older than aioquic 1.2 needs (>= 42), so the peer runs
# on trixie's packages in a chroot (same network namespace: it talks to the server
# over loopback). Made with debootstrap from deb.debian.org; the machine's own apt
# configuration is not touched. Needs root.
#   scripts/e2e/aioquic-root.sh      prints the root directory (built on first use)
# Cached in the clone, at out/cache/aioquic-root-trixie-KEY (KEY: a hash of this
# script, so a change to it builds a new root and the old one is removed). The root
# does not depend on HOME or GEOSTREAM_CACHE, so a CI run with both empty reuses the
# root an earlier run in the same clone built; `make clean` removes it.
# AIOQUIC_ROOT_DIR moves the cache directory. Concurrent callers (test files run in
# parallel) wait for one build under a lock.
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE="${AIOQUIC_ROOT_DIR:-$PWD/out/cache}"
KEY="$(sha256sum "scripts/e2e/aioquic-root.sh" | cut -c1-16)"
ROOT="$BASE/aioquic-root-trixie-$KEY"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
check() { [ "$(cat "$ROOT/.ok" 2>/dev/null)" = "$KEY" ] && chroot "$ROOT" /usr/bin/python3 -c 'import aioquic, cbor2, sqlite3' 2>/dev/null; }
if check; then echo "$ROOT"; exit 0; fi
[ "$(id -u)" -eq 0 ] || { echo "aioquic-root: needs root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "aioquic-root: debootstrap missing: apt-get install debootstrap" >&2; exit 1; }
mkdir -p "$BASE"
exec 9>"$BASE/aioquic-root.lock"
flock 9
if check; then echo "$ROOT"; exit 0; fi
TMP="$ROOT.tmp.$$"
rm -rf "$TMP"
trap 'rm -rf "$TMP" "$TMP.log"' EXIT
# debootstrap does not resolve virtual packages: python3-cryptography depends on
# python3-cffi-backend-api-*, which python3-cffi-backend provides, so it is named.
start=$(date +%s)
if ! debootstrap --variant=minbase --include=python3-aioquic,python3-cbor2,python3-cffi-backend \
    trixie "$TMP" "$MIRROR" > "$TMP.log" 2>&1; then
  tail -20 "$TMP.log" >&2
  [ -f "$TMP/debootstrap/debootstrap.log" ] && tail -20 "$TMP/debootstrap/debootstrap.log" >&2
  echo "aioquic-root: debootstrap failed" >&2
  exit 1
fi
rm -rf "$TMP/var/cache/apt/archives/"*.deb
echo "$KEY" > "$TMP/.ok"
rm -rf "$ROOT" && mv "$TMP" "$ROOT"
check || { echo "aioquic-root: aioquic does not import in $ROOT" >&2; exit 1; }
# Roots of other versions of this script. Nothing is ever mounted inside a root (the
# peer needs no /proc), but a mount point under one is skipped rather than removed.
for old in "$BASE"/aioquic-root-trixie-*; do
  [ "$old" = "$ROOT" ] || [ ! -d "$old" ] && continue
  if findmnt -rn -o TARGET | grep -q "^$old/"; then
    echo "aioquic-root: $old has a mount inside, left in place" >&2
  else
    rm -rf "$old"
  fi
done
echo "aioquic-root: built in $(( $(date +%s) - start )) s" >&2
echo "$ROOT"
