#!/usr/bin/env bash
# Transport benchmark on a release build (Sources/ml-transport-bench), against raw loopback servers in-process:
#   - CPU while 1 and 100 requests wait N seconds for a slow answer (user+system CPU as a share of wall time);
#   - a POST sent after a GET left a kept-alive connection, read by the server, which then closes the connection
#     without answering: time until the error, and how many times the POST reached the server;
#   - peak memory growth of a large download to a file vs into memory.
#
#   scripts/bench-transport.sh [--urlsession] [--wait-seconds 5] [--concurrent 100] [--download-mb 256]
#
# --urlsession also measures Foundation's URLSession (the transport CurlTransport replaced) for comparison; its
# dropped-connection and 100-request cases run into URLSession's 60 s timeout, so the run takes about 2 minutes more.
#
# BENCH_PIPELINE=1 adds the real binaries: `ml-connector extract` against `ml-sandbox --latency-ms 5000` (every
# request answered after 5 s), timed with /usr/bin/time. BENCH_CONFIG=debug uses the debug build (default release).
set -euo pipefail
cd "$(dirname "$0")/.."
conf="${BENCH_CONFIG:-release}"
build() { if ! log=$(swift build -c "$conf" --product "$1" 2>&1); then echo "$log" >&2; exit 1; fi; }
build ml-transport-bench
out="bench-out/transport"
rm -rf "$out"; mkdir -p "$out"
echo "$(nproc) cores, $(uname -sr), libcurl $(pkg-config --modversion libcurl 2>/dev/null || echo '?'), $conf build" | tee "$out/transport.txt"
".build/$conf/ml-transport-bench" "$@" | tee -a "$out/transport.txt"

[ "${BENCH_PIPELINE:-0}" = 1 ] || exit 0
build ml-connector
build ml-sandbox
".build/$conf/ml-sandbox" --port 0 --seeds samples/sandbox --latency-ms 5000 --ready-file "$out/sandbox.url" >"$out/sandbox.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$out/sandbox.url" ] && break; sleep 0.1; done
url="$(cat "$out/sandbox.url")"
sed -e "s#http://127.0.0.1:8765#$url#g" -e "s#\"root\": \"staging\"#\"root\": \"$out/staging\"#" \
    -e "s#staging/ledger.sqlite#$out/ledger.sqlite#" samples/config.json > "$out/config.json"
export EXPENSIFY_PARTNER_USER_ID=aa_finance_northwind_example
export EXPENSIFY_PARTNER_USER_SECRET=5c1d0a7e9b2f4c6d8e0a1b3c5d7e9f1a2b4c6d8e
export D365_CLIENT_SECRET=sandbox-only-client-secret-7Qk2
/usr/bin/time -f "%e %U %S" -o "$out/time.txt" ".build/$conf/ml-connector" extract --config "$out/config.json" --quiet --json >"$out/summary.json"
read -r wall user sys < "$out/time.txt"
requests="$(curl -sf "$url/_sandbox/stats")"
python3 - "$wall" "$user" "$sys" "$requests" "$out" <<'PY' | tee -a "$out/transport.txt"
import json, sys
wall, user, sys_ = map(float, sys.argv[1:4])
n = sum(json.loads(sys.argv[4])["requests"].values())
print(f"ml-connector extract, {n} requests each answered after 5 s: wall {wall:.1f} s, CPU {user + sys_:.2f} s "
      f"= {100 * (user + sys_) / wall:.1f}% of wall")
json.dump({"requests": n, "wall": wall, "cpu": user + sys_}, open(f"{sys.argv[5]}/extract.json", "w"))
PY
