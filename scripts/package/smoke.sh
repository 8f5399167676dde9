#!/usr/bin/env bash
# make smoke-arm64 / smoke-x64: the packaged executable on this machine (arm64 under
# qemu-aarch64-static): version, every addon loads from PKG_NATIVE_CACHE_PATH, self-test
# on the simulated board with a real certificate; when the executable has `server` and
# `run`, a short run streaming to an x64 server on loopback.
#   scripts/package/smoke.sh arm64|x64
set -euo pipefail
cd "$(dirname "$0")/../.."
arch="${1:?usage: smoke.sh arm64|x64}"
exe="out/geostream-linux-$arch"
[ -x "$exe" ] || { echo "smoke: $exe missing: run make package-$arch" >&2; exit 1; }
run=(bash scripts/package/run-arch.sh "$arch" "$exe")
tmp="$(mktemp -d /tmp/gs-smoke-XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
export PKG_NATIVE_CACHE_PATH="$tmp/cache"
ok() { echo "smoke[$arch]: ok: $*"; }
die() { echo "smoke[$arch]: FAILED: $*" >&2; exit 1; }

# 1. version names the arch and the embedded Node
t0=$(date +%s%N)
v="$("${run[@]}" version)" || die "version exited $?"
t1=$(date +%s%N)
[[ "$v" == *"linux-$arch"* && "$v" == *"node v22."* ]] || die "version said: $v"
ok "$v ($(( (t1 - t0) / 1000000 )) ms)"

# 2. self-test on the simulated board, with a fleet CA and device certificate
# The fleet CA and device certificate come from the executable itself (geostream ca).
mkdir -p "$tmp/etc/tls" "$tmp/spool"
"${run[@]}" ca init --dir "$tmp/ca" >/dev/null || die "ca init"
"${run[@]}" ca issue --dir "$tmp/ca" TRUCK-SMOKE >/dev/null || die "ca issue"
cp "$tmp/ca/ca.pem" "$tmp/etc/tls/ca.pem"
cp "$tmp/ca/devices/TRUCK-SMOKE.pem" "$tmp/etc/tls/device.pem"
install -m 600 "$tmp/ca/devices/TRUCK-SMOKE.key" "$tmp/etc/tls/device.key"
ok "fleet CA and device certificate from 'geostream ca'"
cat > "$tmp/etc/config.json" <<JSON
{ "vehicle": { "id": "TRUCK-SMOKE" }, "board": "sim", "spool": { "dir": "$tmp/spool" } }
JSON
t0=$(date +%s%N)
set +e
"${run[@]}" selftest --config "$tmp/etc/config.json" --json > "$tmp/selftest.json"
rc=$?
set -e
t1=$(date +%s%N)
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const c of r.checks) console.log(`  ${c.id.padEnd(9)} ${c.status.padEnd(5)} ${c.summary}${c.reason ? ` (${c.reason})` : ""}`);
  // The simulated receiver stamps fixes with the wall clock; under qemu it may lag a bit (WARN).
  const want = { config: "PASS", addons: "PASS", uart: "PASS", "gnss-fix": "PASS", i2c: "PASS", leds: "PASS", ignition: "PASS", spool: "PASS", clock: "PASS|WARN", cert: "PASS" };
  const bad = Object.entries(want).filter(([id, s]) => !s.split("|").includes(r.checks.find((c) => c.id === id)?.status));
  if (bad.length || !r.ok) { console.error(`expected ${JSON.stringify(want)} and no FAIL`); process.exit(1); }
' "$tmp/selftest.json" || die "selftest (exit $rc)"
[ "$rc" -eq 0 ] || die "selftest exit $rc"
ok "selftest on the sim board ($(( (t1 - t0) / 1000000 )) ms)"
n=$(find "$PKG_NATIVE_CACHE_PATH" -name '*.node' | wc -l)
[ "$n" -ge 4 ] || die "expected the addons under PKG_NATIVE_CACHE_PATH, found $n"
ok "$n addons extracted to PKG_NATIVE_CACHE_PATH"

# 3. a short run streaming to an x64 server on loopback (needs the link work)
if "${run[@]}" --help | grep -qE '^  server ' && "${run[@]}" --help | grep -qE '^  run '; then
  bash scripts/package/smoke-stream.sh "$arch" "$tmp" "${run[@]}" || die "streaming run"
else
  echo "smoke[$arch]: skip: streaming run (this executable has no 'server'/'run' commands yet)"
fi
echo "smoke[$arch]: PASSED"
