# The ngtcp2 QUIC addon (native/): `make native` builds it for this machine,
# `make native-arm64` cross-compiles it for a Raspberry Pi (arm64, Node 22).
# node-gyp comes with npm; the Node headers of the running Node are used
# (/usr/include/node on Debian), or NODE_DIR when set.
NODE_GYP ?= node $(shell dirname $$(dirname $$(readlink -f $$(which npm))))/node_modules/node-gyp/bin/node-gyp.js
NATIVE_SRC := $(wildcard native/src/*.cc native/src/*.c native/src/*.h) native/binding.gyp
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

$(NATIVE_OUT): $(NATIVE_SRC) | native-deps
	@test -f /usr/lib/$$(gcc -print-multiarch)/libngtcp2.a || { echo "libngtcp2.a missing: apt-get install $$(tr '\n' ' ' < scripts/apt/native.txt)" >&2; exit 1; }
	cd native && $(NODE_GYP) rebuild --nodedir=$(NODE_DIR) --ngtcp2_libdir=/usr/lib/$$(gcc -print-multiarch) >/dev/null
	@echo "built $@"

# The sans-IO core (conn.cc, tls.cc) linked into a plain C++ test program with
# AddressSanitizer + LeakSanitizer + UBSan: client and server connections talk in
# memory (test/native-asan.test.ts runs it).
ASAN_BIN := native/build-asan/conn_test
native-asan: $(ASAN_BIN)

$(ASAN_BIN): native/test/conn_test.cc native/src/conn.cc native/src/tls.cc native/src/conn.h | native-deps
	mkdir -p native/build-asan
	g++ -std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -Inative/src \
	  native/test/conn_test.cc native/src/conn.cc native/src/tls.cc \
	  /usr/lib/$$(gcc -print-multiarch)/libngtcp2_crypto_gnutls.a /usr/lib/$$(gcc -print-multiarch)/libngtcp2.a -lgnutls -o $@

native-arm64: $(ARM64_OUT)

$(ARM64_OUT): $(NATIVE_SRC)
	bash scripts/native-arm64.sh $(ARM64_NODE_VERSION)
