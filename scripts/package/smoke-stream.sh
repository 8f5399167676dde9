#!/usr/bin/env bash
# Part of smoke.sh: the executable for ARCH (arm64 under qemu) streams to the x64
# executable's ingest server on loopback over QUIC for a short run; the server must have
# stored records from it, and its HTTP API (read by the executable's own track reader
# process) must give back as many positions as it stored. Engine: ngtcp2 on arm64
# (@matrixai/quic has no arm64 build).
#   scripts/package/smoke-stream.sh ARCH TMPDIR
set -euo pipefail
cd "$(dirname "$0")/../.."
arch="$1"; tmp="$2"
agent=(bash scripts/package/run-arch.sh "$arch" "out/geostream-linux-$arch")
server=(out/geostream-linux-x64)
[ -x "${server[0]}" ] || { echo "smoke-stream: ${server[0]} missing: make package-x64" >&2; exit 1; }
engine="${SMOKE_ENGINE:-$([ "$arch" = arm64 ] && echo ngtcp2 || echo matrixai)}"
seconds="${SMOKE_SECONDS:-$([ "$arch" = arm64 ] && echo 25 || echo 8)}"
ca="$tmp/stream-ca"
say() { echo "smoke[$arch]: $*"; }

"${server[@]}" ca init --dir "$ca" >/dev/null
"${server[@]}" ca issue --dir "$ca" --server localhost --alt 127.0.0.1 >/dev/null
"${server[@]}" ca issue --dir "$ca" TRUCK-STREAM >/dev/null

token="$("${server[@]}" server token add smoke --db "$tmp/server.db")"
"${server[@]}" server --listen 127.0.0.1:0 --db "$tmp/server.db" --ca "$ca" --http 127.0.0.1:0 > "$tmp/server.log" 2>&1 &
spid=$!
port=""
for _ in $(seq 1 100); do
  port="$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$tmp/server.log" | head -1)"
  [ -n "$port" ] && break
  kill -0 "$spid" 2>/dev/null || { cat "$tmp/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "smoke-stream: the server did not start" >&2; cat "$tmp/server.log" >&2; kill "$spid"; exit 1; }

cat > "$tmp/stream.json" <<JSON
{ "vehicle": { "id": "TRUCK-STREAM" }, "board": "sim", "spool": { "dir": "$tmp/stream-spool" },
  "server": { "address": "127.0.0.1:$port", "ca": "$ca/ca.pem", "cert": "$ca/devices/TRUCK-STREAM.pem",
              "key": "$ca/devices/TRUCK-STREAM.key", "engine": "$engine" } }
JSON
"${agent[@]}" run --config "$tmp/stream.json" --speed 5x > "$tmp/agent.log" 2>&1 &
apid=$!
sleep "$seconds"
kill -TERM "$apid" 2>/dev/null || true
wait "$apid" || true
grep -q '1 of 1 track reader process up' "$tmp/server.log" || { echo "smoke-stream: the server's track reader did not start" >&2; cat "$tmp/server.log" >&2; exit 1; }
http="$(sed -n 's|.*HTTP API on \(http://[^/]*\)/api/v1/.*|\1|p' "$tmp/server.log" | head -1)"
positions="$(node -e '
  const [base, token] = process.argv.slice(1);
  const get = async (path) => {
    const r = await fetch(base + path, { headers: { authorization: "Bearer " + token } });
    if (r.status !== 200) throw new Error(path + ": HTTP " + r.status);
    return r.text();
  };
  (async () => {
    // the day up to the latest stored fix
    const latest = Date.parse(JSON.parse(await get("/api/v1/vehicles/TRUCK-STREAM")).latest.time);
    const range = "from=" + new Date(latest - 86_400_000).toISOString() + "&to=" + new Date(latest + 1000).toISOString();
    const csv = await get("/api/v1/vehicles/TRUCK-STREAM/positions?format=csv&" + range);
    console.log(csv.split("\n").filter((l) => l.startsWith("position,")).length);
  })().catch((e) => { console.error(e.message); process.exit(1); });' "$http" "$token")" || { echo "smoke-stream: the HTTP API did not answer positions" >&2; tail -20 "$tmp/server.log" >&2; exit 1; }
kill -TERM "$spid" 2>/dev/null || true
wait "$spid" || true
"${server[@]}" server stats --db "$tmp/server.db" > "$tmp/stats.json"
records="$(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const d = s.devices.find((x) => x.device === "TRUCK-STREAM"); console.log(d ? d.records : 0)' "$tmp/stats.json")"
if [ "${records:-0}" -lt 1 ]; then
  echo "smoke-stream: the server stored no records from TRUCK-STREAM" >&2
  tail -20 "$tmp/agent.log" >&2; tail -20 "$tmp/server.log" >&2
  exit 1
fi
if [ "$positions" -ne "$records" ]; then
  echo "smoke-stream: the HTTP API gave $positions positions of the $records records stored" >&2
  exit 1
fi
say "ok: streamed $records records to the x64 server over QUIC ($engine) in ${seconds} s; its HTTP API's track reader gave all $positions back"
