#!/usr/bin/env bash
# Benchmark: the whole nightly pipeline (the real binaries, over loopback HTTP) against the sandbox with injected
# per-request latency, then a second night with nothing new on the same sandbox and ledger.
#
#   scripts/bench.sh [reports=1000] [expenses=5] [latency_ms=50] [concurrency=8] [batch_sizes=50,0] [key_assignment=server]
#
# Every batch size of the comma-separated list runs on a fresh sandbox, one after the other, and the figures are
# printed side by side with ratios to the first one ("0" = one request per header and per line).
# BENCH_CONFIG=release (what the nightly job runs) or debug (default); BENCH_STRATEGY=twoPhase|references.
#
# Per night: reports, documents, wall time of the run and of the load stage, HTTP requests per system (and D365
# requests per report), peak memory. Nothing-new night: Expensify calls, D365 requests, and the most times one
# master-data entity was read for one company (first pages; following @odata.nextLink is the same read).
#
# The sandbox serves pages of 10,000 rows (F&O's page size) instead of the seed's 5, and its request throttle is
# lifted, so the benchmark measures the connector, not the test fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
reports="${1:-1000}"; expenses="${2:-5}"; latency="${3:-50}"; concurrency="${4:-8}"; batches="${5:-50,0}"; keys="${6:-server}"
strategy="${BENCH_STRATEGY:-twoPhase}"
conf="${BENCH_CONFIG:-debug}"
swift build -c "$conf" --product ml-connector >/dev/null
swift build -c "$conf" --product ml-sandbox >/dev/null
bin=".build/$conf"
export EXPENSIFY_PARTNER_USER_ID=aa_finance_northwind_example
export EXPENSIFY_PARTNER_USER_SECRET=5c1d0a7e9b2f4c6d8e0a1b3c5d7e9f1a2b4c6d8e
export D365_CLIENT_SECRET=sandbox-only-client-secret-7Qk2
root="bench-out/run-$reports-$expenses-$latency-$concurrency-$conf"
rm -rf "$root"; mkdir -p "$root"
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true' EXIT

night() {  # $1 out dir, $2 label, $3 config
  local out="$1" label="$2" config="$3" start end code
  curl -sf -X POST "$url/_sandbox/stats/reset" >/dev/null
  curl -sf -X DELETE "$url/_sandbox/d365/requests" >/dev/null
  start=$(date +%s.%N)
  set +e
  "$bin/ml-connector" run --config "$config" --quiet --json > "$out/$label-summary.json"
  code=$?
  set -e
  end=$(date +%s.%N)
  echo "{\"start\": $start, \"end\": $end, \"exit\": $code}" > "$out/$label-time.json"
  curl -sf "$url/_sandbox/stats" > "$out/$label-stats.json"
  curl -sf "$url/_sandbox/d365/requests" > "$out/$label-requests.json"
}

for batch in ${batches//,/ }; do
  out="$root/batch-$batch"
  mkdir -p "$out"
  "$bin/ml-sandbox" --port 0 --seeds samples/sandbox --latency-ms "$latency" --ready-file "$out/sandbox.url" >"$out/sandbox.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do [ -s "$out/sandbox.url" ] && break; sleep 0.1; done
  url="$(cat "$out/sandbox.url")"
  curl -sf -X POST "$url/_sandbox/d365/settings" -H 'Content-Type: application/json' \
    -d '{"requestsPerWindow":1000000,"pageSize":10000}' >/dev/null
  curl -sf -X POST "$url/_sandbox/expensify/generate?reports=$reports&expenses=$expenses&policyID=A1B2C3D4E5F60001&email=alice.nguyen@northwind.example" >/dev/null
  sed -e "s#http://127.0.0.1:8765#$url#g" -e "s#\"root\": \"staging\"#\"root\": \"$out/staging\"#" \
      -e "s#staging/ledger.sqlite#$out/ledger.sqlite#" \
      -e "s#\"concurrency\": 4#\"concurrency\": $concurrency, \"batchSize\": $batch, \"keyAssignment\": \"$keys\", \"batchStrategy\": \"$strategy\"#" \
      samples/config.json > "$out/config.json"
  night "$out" first "$out/config.json"
  night "$out" nothing-new "$out/config.json"
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  pid=""
done

python3 - "$root" "$batches" "$reports" "$expenses" "$latency" "$concurrency" "$conf" "$keys" "$strategy" <<'PY'
import json, sqlite3, sys, re
from datetime import datetime
from urllib.parse import unquote
root, batches, reports, expenses, latency, conc, conf, keys, strategy = sys.argv[1:10]

def stage_seconds(ledger, batch_id, stage):
    db = sqlite3.connect(ledger)
    row = db.execute("SELECT started_at, finished_at FROM stage_run WHERE batch_id = ? AND stage = ? ORDER BY id DESC LIMIT 1",
                     (batch_id, stage)).fetchone()
    parse = lambda s: datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
    return (parse(row[1]) - parse(row[0])).total_seconds() if row and row[1] else float("nan")

def master_reads(requests):
    counts = {}
    for r in requests:
        if r.get("system") != "d365" or r.get("method") != "GET": continue
        path = unquote(r.get("url", ""))
        if "skiptoken" in path: continue
        entity = path[len("/data/"):].split("?")[0]
        m = re.search(r"(?:dataAreaId|LegalEntityId) eq '([^']*)'", path)
        key = entity + " " + (m.group(1) if m else "*")
        counts[key] = counts.get(key, 0) + 1
    return counts

rows = []
for batch in batches.split(","):
    out = f"{root}/batch-{batch}"
    s = json.load(open(f"{out}/first-summary.json"))
    t = json.load(open(f"{out}/first-time.json"))
    st = json.load(open(f"{out}/first-stats.json"))["requests"]
    n = s["extract"]["reports"]
    docs = s["load"]["created"] + s["load"]["completed"]
    ledger = f"{out}/ledger.sqlite"
    bid = s["extract"]["batchID"]
    nn = json.load(open(f"{out}/nothing-new-summary.json"))
    nt = json.load(open(f"{out}/nothing-new-time.json"))
    nst = json.load(open(f"{out}/nothing-new-stats.json"))["requests"]
    reads = master_reads(json.load(open(f"{out}/nothing-new-requests.json"))["requests"])
    rows.append({
        "batch": batch, "exit": t["exit"], "reports": n, "documents": docs, "failed": s["load"]["failed"],
        "wall": t["end"] - t["start"], "load": stage_seconds(ledger, bid, "load"), "extract": stage_seconds(ledger, bid, "extract"),
        "d365": st.get("d365", 0), "entra": st.get("entra", 0), "expensify": st.get("expensify", 0),
        "load_requests": s["load"]["httpRequests"], "peak": s.get("peakMemoryMB"),
        "nn_exit": nt["exit"], "nn_wall": nt["end"] - nt["start"], "nn_created": nn["load"]["created"],
        "nn_expensify": nst.get("expensify", 0), "nn_d365": nst.get("d365", 0), "nn_entra": nst.get("entra", 0),
        "nn_max_reads": max(reads.values()) if reads else 0, "nn_reads": len(reads),
    })

print(f"build={conf} reports={reports}x{expenses} expenses, latency={latency} ms per request, concurrency={conc}, keys={keys}, strategy={strategy}")
base = rows[0]
def ratio(v, b): return f"{v / b:.2f}x" if b else "-"
for r in rows:
    mode = "per request" if r["batch"] == "0" else f"$batch {r['batch']}"
    print(f"\n[{mode}] exit={r['exit']} reports={r['reports']} documents created={r['documents']} failed={r['failed']}")
    print(f"  whole night: {r['wall']:.2f} s   extract {r['extract']:.2f} s   load stage {r['load']:.2f} s")
    print(f"  HTTP: D365 {r['d365']} ({r['d365'] / max(r['reports'], 1):.3f} per report), Entra {r['entra']}, Expensify {r['expensify']};"
          f" load stage {r['load_requests']} (token included)")
    print(f"  peak memory (VmHWM): {r['peak']} MB")
    print(f"  nothing new: exit={r['nn_exit']} created={r['nn_created']} wall {r['nn_wall']:.2f} s, Expensify {r['nn_expensify']} calls,"
          f" D365 {r['nn_d365']} requests ({r['nn_reads']} master-data reads, at most {r['nn_max_reads']} per company and entity), Entra {r['nn_entra']}")
if len(rows) > 1:
    print("\nside by side (ratio to the first):")
    print(f"  {'mode':<14}{'D365 req/report':>16}{'load s':>10}{'night s':>10}")
    for r in rows:
        mode = "per request" if r["batch"] == "0" else f"$batch {r['batch']}"
        print(f"  {mode:<14}{r['d365'] / max(r['reports'], 1):>16.3f}{r['load']:>10.2f}{r['wall']:>10.2f}"
              f"   ({ratio(r['d365'], base['d365'])} requests, {ratio(r['load'], base['load'])} load time)")
json.dump(rows, open(f"{root}/results.json", "w"), indent=2)
PY
