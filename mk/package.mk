# Packaging and operations (scripts/package, scripts/image). See README "Fleet operator".
.PHONY: package-x64 package-arm64 package smoke-arm64 smoke-x64 image bench-package

package-x64: $(NPM_STAMP)
	node scripts/package/build.mjs x64

package-arm64: $(NPM_STAMP)
	node scripts/package/build.mjs arm64

package: package-x64 package-arm64

# The arm64 executable under qemu-aarch64-static: version, addons, self-test on the sim board.
smoke-arm64: package-arm64 package-x64
	bash scripts/package/smoke.sh arm64

smoke-x64: package-x64
	bash scripts/package/smoke.sh x64

# make image BASE=raspios.img DEVICE=TRUCK-042 SERVER=host:port OUT=truck-042.img
image: package-arm64
	node scripts/image/make-image.mjs --base "$(BASE)" --device "$(DEVICE)" --server "$(SERVER)" --out "$(OUT)" --exe out/geostream-linux-arm64 $(if $(CA),--ca-dir "$(CA)") $(if $(BOARD),--board "$(BOARD)") $(if $(FORCE),--force)

bench-package: package-x64 package-arm64
	node --import tsx test/bench/package.bench.ts
