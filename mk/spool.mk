# Spool: its tests and benchmark alone.
.PHONY: test-spool bench-spool
test-spool: $(NPM_STAMP)
	npx vitest run test/spool

bench-spool: $(NPM_STAMP)
	node --import tsx test/bench/spool.bench.ts
