#!/usr/bin/env bash
# Benchmark: the whole nightly pipeline against the sandbox with injected per-request latency.
#   scripts/bench.sh [reports=1000] [expenses=5] [latency_ms=20] [concurrency=4] [batch_size=0]
# batch_size > 0 packs that many invoices into one OData $batch (one changeset per invoice).
# Prints reports per second, HTTP requests per report (target side and total) and peak memory.
# Uses the debug build unless BENCH_CONFIG=release.
set -euo pipefail
cd "$(dirname "$0")/.."
reports="${1:-1000}"; expenses="${2:-5}"; latency="${3:-20}"; concurrency="${4:-4}"; batch="${5:-0}"
conf="${BENCH_CONFIG:-debug}"
swift build -c "$conf" --product ml-connector >/dev/null
swift build -c "$conf" --product ml-sandbox >/dev/null
bin=".build/$conf"
out="bench-out/run-$reports-$expenses-$latency-$concurrency-$batch"
rm -rf "$out"; mkdir -p "$out"
"$bin/ml-sandbox" --port 0 --seeds samples/sandbox --latency-ms "$latency" --ready-file "$out/sandbox.url" >"$out/sandbox.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$out/sandbox.url" ] && break; sleep 0.1; done
url="$(cat "$out/sandbox.url")"
# The seed keeps D365's documented user limit (6000 requests / 300 s, removed in 10.0.36); lift it so
# the benchmark measures the connector, not the throttle.
curl -sf -X POST "$url/_sandbox/d365/settings" -H 'Content-Type: application/json' -d '{"requestsPerWindow":1000000}' >/dev/null
curl -sf -X POST "$url/_sandbox/expensify/generate?reports=$reports&expenses=$expenses&policyID=A1B2C3D4E5F60001&email=alice.nguyen@northwind.example" >/dev/null
sed -e "s#http://127.0.0.1:8765#$url#g" -e "s#\"root\": \"staging\"#\"root\": \"$out/staging\"#" \
    -e "s#staging/ledger.sqlite#$out/ledger.sqlite#" -e "s#\"concurrency\": 4#\"concurrency\": $concurrency, \"batchSize\": $batch#" \
    samples/config.json > "$out/config.json"
export EXPENSIFY_PARTNER_USER_ID=aa_finance_northwind_example
export EXPENSIFY_PARTNER_USER_SECRET=5c1d0a7e9b2f4c6d8e0a1b3c5d7e9f1a2b4c6d8e
export D365_CLIENT_SECRET=sandbox-only-client-secret-7Qk2
curl -sf -X POST "$url/_sandbox/stats/reset" >/dev/null
start=$(date +%s.%N)
set +e
"$bin/ml-connector" run --config "$out/config.json" --quiet --json > "$out/summary.json"
code=$?
set -e
end=$(date +%s.%N)
stats="$(curl -sf "$url/_sandbox/stats")"
python3 - "$out/summary.json" "$start" "$end" "$stats" "$reports" "$expenses" "$latency" "$concurrency" "$code" "$conf" "$batch" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
start, end = float(sys.argv[2]), float(sys.argv[3])
stats = json.loads(sys.argv[4])["requests"]
reports, expenses, latency, conc, code, conf, batch = sys.argv[5:12]
n = summary["extract"]["reports"]
docs = summary["load"]["created"] + summary["load"]["completed"]
secs = end - start
target = summary["load"]["httpRequests"]
total = sum(stats.values())
print(f"build={conf} reports={n} expenses/report={expenses} latency={latency}ms concurrency={conc} batchSize={batch} exit={code}")
print(f"documents created: {docs}")
print(f"wall time: {secs:.1f} s  ->  {n/secs:.1f} reports/s")
print(f"HTTP requests: D365 {stats.get('d365',0)} + Entra {stats.get('entra',0)} + Expensify {stats.get('expensify',0)} = {total}"
      f"  ->  {total/max(n,1):.2f} per report ({stats.get('d365',0)/max(n,1):.2f} to D365)")
print(f"peak memory (VmHWM): {summary.get('peakMemoryMB')} MB")
PY
