# Link (geostream/1.0, ingest server, device link, demo): its tests and benchmark alone.
# test-link includes the 60 s black-hole test through the UDP relay.
.PHONY: test-link bench-link
test-link: $(NPM_STAMP)
	npx vitest run test/link test/server

bench-link: $(NPM_STAMP)
	node --import tsx test/bench/link.bench.ts
