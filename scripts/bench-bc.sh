#!/usr/bin/env bash
# Benchmark: a whole night into Business Central (API v2.0) over loopback HTTP with injected per-request latency:
# requests per report (issue 14's bound: at most 0.25 for a 1,000-report night) and the load stage's time, for
# purchase invoices and for general journal lines.
#
#   scripts/bench-bc.sh [reports=1000] [expenses=5] [latency_ms=50] [documents=invoice,journal]
#
# BENCH_CONFIG=release (default; what the nightly job runs) or debug. The sandbox's request throttle is lifted so the
# benchmark measures the connector.
set -euo pipefail
cd "$(dirname "$0")/.."
reports="${1:-1000}"; expenses="${2:-5}"; latency="${3:-50}"; documents="${4:-invoice,journal}"
conf="${BENCH_CONFIG:-release}"
swift build -c "$conf" --product ml-connector >/dev/null
swift build -c "$conf" --product ml-sandbox >/dev/null
bin=".build/$conf"
export EXPENSIFY_PARTNER_USER_ID=aa_finance_northwind_example
export EXPENSIFY_PARTNER_USER_SECRET=5c1d0a7e9b2f4c6d8e0a1b3c5d7e9f1a2b4c6d8e
export BC_CLIENT_SECRET=sandbox-only-client-secret-7Qk2
root="bench-out/bc-$reports-$expenses-$latency-$conf"
rm -rf "$root"; mkdir -p "$root"
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true' EXIT
for document in ${documents//,/ }; do
  out="$root/$document"
  mkdir -p "$out"
  "$bin/ml-sandbox" --port 0 --seeds samples/sandbox --latency-ms "$latency" --ready-file "$out/sandbox.url" >"$out/sandbox.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do [ -s "$out/sandbox.url" ] && break; sleep 0.1; done
  url="$(cat "$out/sandbox.url")"
  curl -sf -X POST "$url/_sandbox/nav/settings" -H 'Content-Type: application/json' -d '{"requestsPerWindow":100000000}' >/dev/null
  curl -sf -X POST "$url/_sandbox/expensify/generate?reports=$reports&expenses=$expenses&policyID=A1B2C3D4E5F60001&email=alice.nguyen@northwind.example" >/dev/null
  sed -e "s#http://127.0.0.1:8765#$url#g" -e "s#\"root\": \"staging\"#\"root\": \"$out/staging\"#" \
      -e "s#staging/ledger.sqlite#$out/ledger.sqlite#" samples/config-bc.json > "$out/config.json"
  if [ "$document" = journal ]; then
    python3 - "$out/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8")); c["target"]["document"] = "generalJournal"
json.dump(c, open(sys.argv[1], "w", encoding="utf-8"), indent=2, ensure_ascii=False)
PY
  fi
  curl -sf -X POST "$url/_sandbox/stats/reset" >/dev/null
  start=$(date +%s.%N)
  set +e
  "$bin/ml-connector" run --config "$out/config.json" --quiet --json > "$out/summary.json"
  code=$?
  set -e
  end=$(date +%s.%N)
  curl -sf "$url/_sandbox/stats" > "$out/stats.json"
  echo "{\"start\": $start, \"end\": $end, \"exit\": $code}" > "$out/time.json"
  kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; pid=""
done
python3 - "$root" "$documents" "$reports" "$latency" "$conf" <<'PY'
import json, sqlite3, sys
from datetime import datetime
root, documents, reports, latency, conf = sys.argv[1:6]
parse = lambda s: datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
print(f"Business Central night: {reports} reports, {latency} ms per request, {conf} build")
for document in documents.split(","):
    out = f"{root}/{document}"
    s = json.load(open(f"{out}/summary.json")); t = json.load(open(f"{out}/time.json"))
    st = json.load(open(f"{out}/stats.json"))["requests"]
    n = s["extract"]["reports"]
    db = sqlite3.connect(f"{out}/ledger.sqlite")
    row = db.execute("SELECT started_at, finished_at FROM stage_run WHERE stage='load' ORDER BY id DESC LIMIT 1").fetchone()
    load = (parse(row[1]) - parse(row[0])).total_seconds()
    docs = s["load"]["created"]
    bc = st.get("bc", 0)
    print(f"  {document:8} exit {t['exit']}  reports {n}  documents created {docs}  BC requests {bc}  "
          f"({bc / max(n, 1):.3f} per report; bound 0.25)  load {load:.2f} s  night {t['end'] - t['start']:.2f} s")
PY
