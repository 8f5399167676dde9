#!/usr/bin/env bash
# Runs an executable built for ARCH on this machine: directly when the CPU matches,
# arm64 under qemu-aarch64-static otherwise (binfmt_misc is not mounted here).
#   scripts/package/run-arch.sh x64|arm64 EXE [ARGS...]
# The sysroot's own libraries come first (LD_LIBRARY_PATH): once a multiarch libc6:arm64
# is installed, the host's ld.so.cache would otherwise mix its libc with the cross
# sysroot's ld.so, and Node then spins forever at start-up.
set -euo pipefail
arch="${1:?usage: run-arch.sh x64|arm64 EXE [ARGS...]}"
exe="${2:?usage: run-arch.sh x64|arm64 EXE [ARGS...]}"
shift 2
case "$arch:$(uname -m)" in
  x64:x86_64 | arm64:aarch64) exec "$exe" "$@" ;;
  arm64:*)
    command -v qemu-aarch64-static >/dev/null || { echo "run-arch: qemu-aarch64-static missing: apt-get install qemu-user-static" >&2; exit 127; }
    sysroot=/usr/aarch64-linux-gnu
    [ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] || { echo "run-arch: $sysroot missing: apt-get install libc6-arm64-cross" >&2; exit 127; }
    exec qemu-aarch64-static -L "$sysroot" -E "LD_LIBRARY_PATH=$sysroot/lib" "$exe" "$@" ;;
  *) echo "run-arch: cannot run $arch on $(uname -m)" >&2; exit 127 ;;
esac
