# geostream: the two commands a newcomer needs are `make demo` and `make test`.
# Each installs what is missing first (npm packages; Debian packages when root).
SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM_STAMP := node_modules/.geostream-stamp

.PHONY: help deps build test lint typecheck demo bench clean

help:
	@echo "make demo   install what is missing, build, run the agent on the simulated board with a local server"
	@echo "make test   install what is missing, build, lint and run the whole test suite"
	@echo "make bench  run the benchmarks (ratios against baselines measured in the same run)"
	@echo "make build  compile TypeScript to dist/ and bundle the operator console page"

# Debian packages (only when root; otherwise print the apt command) and npm packages.
deps: $(NPM_STAMP)
	@bash scripts/install-deps.sh apt

$(NPM_STAMP): package.json package-lock.json
	@bash scripts/install-deps.sh npm
	@touch $@

build: $(NPM_STAMP)
	npx tsc -p tsconfig.json
	node scripts/console/build.mjs

# Type-checks the tests and benchmarks too (the build covers src/ only).
typecheck: $(NPM_STAMP)
	npx tsc -p tsconfig.test.json
	npx tsc -p web/tsconfig.json

lint: $(NPM_STAMP) typecheck
	npx eslint src test scripts web

test: deps build lint
	@mkdir -p out
	npx vitest run --reporter=default --reporter=json --outputFile.json=out/vitest.json; rc=$$?; \
	  node scripts/test-summary.mjs out/vitest.json; s=$$?; [ $$rc -eq 0 ] && exit $$s || exit $$rc

demo: deps build
	node dist/cli.js demo

bench: deps build
	node scripts/bench.mjs

clean:
	rm -rf dist out var native/build

-include mk/*.mk
