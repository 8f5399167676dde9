# The ngtcp2 QUIC addon (native/): `make native` builds it for this machine,
# `make native-arm64` cross-compiles it for a Raspberry Pi (arm64, Node 22).
# node-gyp comes with npm; the Node headers of the running Node are used
# (/usr/include/node on Debian), or NODE_DIR when set.
NODE_GYP ?= node $(shell dirname $$(dirname $$(readlink -f $$(which npm))))/node_modules/node-gyp/bin/node-gyp.js
NATIVE_SRC := $(wildcard native/src/*.cc native/src/*.c native/src/*.h native/patches/*.patch) native/binding.gyp scripts/ngtcp2-build.sh
NATIVE_OUT := native/build/Release/geostream_quic.node
NODE_DIR ?= $(shell node -p "require('path').resolve(process.execPath, '../..')")
ARM64_NODE_VERSION ?= 22.23.3
ARM64_NODE_DIR := out/node-arm64/node-v$(ARM64_NODE_VERSION)
ARM64_OUT := native/build-arm64/Release/geostream_quic.node

.PHONY: native native-arm64 native-asan native-deps

build: native
test: native

native-deps:
	@bash scripts/install-deps.sh apt

native: $(NATIVE_OUT)

# ngtcp2 is built from Debian's source with native/patches/ applied (scripts/ngtcp2-build.sh).
$(NATIVE_OUT): $(NATIVE_SRC) | native-deps
	@dpkg-query -W libngtcp2-dev >/dev/null 2>&1 || { echo "libngtcp2-dev missing: apt-get install $$(grep -v '^#' scripts/apt/native.txt | tr '\n' ' ')" >&2; exit 1; }
	d=$$(bash scripts/ngtcp2-build.sh) && cd native && $(NODE_GYP) rebuild --nodedir=$(NODE_DIR) --ngtcp2_libdir=$$d/lib --ngtcp2_incdir=$$d/include >/dev/null
	@echo "built $@"

# The sans-IO core (every native/src file but the js_*.cc glue, addon.cc and the
# stderr shim; binding.gyp lists the same) linked into plain C++ test programs with
# AddressSanitizer + LeakSanitizer + UBSan (test/native/asan.test.ts runs them):
# conn_test, client and server connections talking in memory; flood_test, the
# server's accept path and a live connection under a datagram flood.
NATIVE_CORE := $(addprefix native/src/,callbacks.cc conn.cc path.cc retry.cc send.cc stateless.cc streams.cc timers.cc tls.cc util.cc)
ASAN_BINS := native/build-asan/conn_test native/build-asan/flood_test
native-asan: $(ASAN_BINS)

native/build-asan/%: native/test/%.cc native/test/pair.h $(NATIVE_CORE) $(wildcard native/src/*.h native/patches/*.patch) | native-deps
	mkdir -p native/build-asan
	d=$$(bash scripts/ngtcp2-build.sh) && g++ -std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -Inative/src -I$$d/include \
	  $< $(NATIVE_CORE) \
	  $$d/lib/libngtcp2_crypto_gnutls.a $$d/lib/libngtcp2.a -lgnutls -o $@

native-arm64: $(ARM64_OUT)

$(ARM64_OUT): $(NATIVE_SRC)
	bash scripts/native-arm64.sh $(ARM64_NODE_VERSION)
