#!/usr/bin/env bash
# Builds the static ngtcp2 archives the QUIC addon links: Debian's own ngtcp2 source
# (the version of the installed libngtcp2-dev, with Debian's patches) plus the fixes in
# native/patches/, for one target. Prints the directory holding include/ and lib/.
#   scripts/ngtcp2-build.sh [TRIPLET]     (x86_64-linux-gnu, aarch64-linux-gnu; default: this machine)
# The source comes from deb.debian.org through apt-get source with a private APT
# configuration (the machine's apt setup is not touched). Results are cached under
# ${GEOSTREAM_CACHE:-~/.cache/geostream}/ngtcp2/, keyed by source version, patches,
# triplet and compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TRIPLET="${1:-$(gcc -print-multiarch)}"
case "$TRIPLET" in
  x86_64-linux-gnu) CC_T="${NGTCP2_CC:-gcc}"; AR_T="${NGTCP2_AR:-ar}" ;;
  aarch64-linux-gnu) CC_T="${NGTCP2_CC:-aarch64-linux-gnu-gcc}"; AR_T="${NGTCP2_AR:-aarch64-linux-gnu-ar}" ;;
  *) echo "ngtcp2-build: unsupported triplet $TRIPLET" >&2; exit 2 ;;
esac
command -v "$CC_T" >/dev/null || { echo "ngtcp2-build: $CC_T missing" >&2; exit 1; }
command -v dpkg-source >/dev/null || { echo "ngtcp2-build: dpkg-source missing: apt-get install dpkg-dev" >&2; exit 1; }

# The source version is the one of the installed headers' package, so headers, source
# and Debian's security patches agree.
VER="$(dpkg-query -W -f='${Version}\n' "libngtcp2-dev:$(dpkg --print-architecture)" 2>/dev/null | head -1 || true)"
[ -n "$VER" ] || { echo "ngtcp2-build: libngtcp2-dev is not installed" >&2; exit 1; }
SUITE="$(. /etc/os-release && echo "$VERSION_CODENAME")"
PATCHES=(native/patches/ngtcp2-*.patch)
KEY="$( (echo "$VER $TRIPLET"; "$CC_T" --version | head -1; cat "${PATCHES[@]}" "$0") | sha256sum | cut -c1-16)"
CACHE="${GEOSTREAM_CACHE:-$HOME/.cache/geostream}/ngtcp2"
OUT="$CACHE/$VER-$TRIPLET-$KEY"
if [ -f "$OUT/.ok" ]; then echo "$OUT"; exit 0; fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ngtcp2-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
SRCS="$CACHE/src/$VER"
if [ ! -f "$SRCS/.ok" ]; then
  # A private APT state with deb-src lines for this suite and its security updates.
  A="$WORK/apt"
  mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/etc/preferences.d" "$A/etc/sources.list.d" "$SRCS"
  : > "$A/status"
  {
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $SUITE main"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security $SUITE-security main"
  } > "$A/etc/sources.list"
  cat > "$A/apt.conf" <<EOF
Dir::State "$A"; Dir::State::Lists "$A/lists"; Dir::State::status "$A/status";
Dir::Cache "$A/cache"; Dir::Etc::SourceList "$A/etc/sources.list";
Dir::Etc::SourceParts "$A/etc/sources.list.d"; Dir::Etc::PreferencesParts "$A/etc/preferences.d";
APT::Sandbox::User "root";
EOF
  APT_CONFIG="$A/apt.conf" apt-get -qq update >&2
  (cd "$SRCS" && APT_CONFIG="$A/apt.conf" apt-get -qq source --download-only "ngtcp2=$VER" >&2)
  touch "$SRCS/.ok"
fi
(cd "$WORK" && dpkg-source --no-check -x "$SRCS"/ngtcp2_*.dsc src >/dev/null)
S="$WORK/src"
for p in "${PATCHES[@]}"; do patch -s -p1 -d "$S" < "$ROOT/$p"; done

# What configure would find on a glibc system; version.h from its template.
G="$WORK/gen"
mkdir -p "$G/ngtcp2"
cat > "$G/config.h" <<'EOF'
#define HAVE_ARPA_INET_H 1
#define HAVE_NETINET_IN_H 1
#define HAVE_UNISTD_H 1
#define HAVE_ENDIAN_H 1
#define HAVE_BYTESWAP_H 1
#define HAVE_BE64TOH 1
#define HAVE_DECL_BE64TOH 1
#define HAVE_BSWAP_64 1
#define HAVE_DECL_BSWAP_64 1
EOF
UPV="${VER%%+*}"; UPV="${UPV%%-*}"
NUM="$(printf '0x%02x%02x%02x' $(echo "$UPV" | tr . ' '))"
sed -e "s/@PACKAGE_VERSION@/$UPV/" -e "s/@PACKAGE_VERSION_NUM@/$NUM/" "$S/lib/includes/ngtcp2/version.h.in" > "$G/ngtcp2/version.h"

CFLAGS_T=(-O2 -fPIC -fstack-protector-strong -D_FORTIFY_SOURCE=2 -DHAVE_CONFIG_H -I"$G" -I"$S/lib" -I"$S/lib/includes" -I"$S/crypto" -I"$S/crypto/includes")
mkdir -p "$WORK/obj/lib" "$WORK/obj/crypto" "$WORK/out/lib" "$WORK/out/include/ngtcp2"
for f in "$S"/lib/*.c; do "$CC_T" "${CFLAGS_T[@]}" -c "$f" -o "$WORK/obj/lib/$(basename "$f" .c).o"; done
for f in "$S/crypto/shared.c" "$S/crypto/gnutls/gnutls.c"; do "$CC_T" "${CFLAGS_T[@]}" -c "$f" -o "$WORK/obj/crypto/$(basename "$f" .c).o"; done
"$AR_T" rcs "$WORK/out/lib/libngtcp2.a" "$WORK"/obj/lib/*.o
"$AR_T" rcs "$WORK/out/lib/libngtcp2_crypto_gnutls.a" "$WORK"/obj/crypto/*.o
cp "$S"/lib/includes/ngtcp2/*.h "$S"/crypto/includes/ngtcp2/*.h "$G/ngtcp2/version.h" "$WORK/out/include/ngtcp2/"
mkdir -p "$CACHE"
rm -rf "$OUT" && mv "$WORK/out" "$OUT"
touch "$OUT/.ok"
echo "$OUT"
