#!/usr/bin/env bash
# Benchmark: the whole nightly pipeline (the real binaries, over loopback HTTP) against the sandbox with injected
# per-request latency, then a second night with nothing new on the same sandbox and ledger.
#
#   scripts/bench.sh [reports=1000] [expenses=5] [latency_ms=50] [concurrency=8] [batch_sizes=50,50+drop,0] [key_assignment=server]
#
# Every entry of the comma-separated list runs on a fresh sandbox, one after the other, and the figures are
# printed side by side with ratios to the first one ("0" = one request per header and per line). An entry with
# "+drop" is the same night with one dropped connection in the middle of the load: the sandbox processes one write
# request and closes the connection without answering (fault rule with "after": the `$batch` POST in the middle of
# the plain night's, or for "0+drop" the `VendorInvoiceHeaders` POST in the middle; BENCH_DROP_AFTER=N overrides).
# BENCH_CONFIG=release (what the nightly job runs) or debug (default); BENCH_STRATEGY=twoPhase|references.
#
# Per night: reports, documents, wall time of the run and of the load stage, CPU time of the connector, HTTP
# requests per system (and D365 requests per report), peak memory. Nothing-new night: Expensify calls (expected:
# 3 + 2 per started 100 reports still open, which are asked for again by ID), D365 requests, and the most times one
# master-data entity was read for one company (first pages; following @odata.nextLink is the same read).
#
# The sandbox serves pages of 10,000 rows (F&O's page size) instead of the seed's 5, and its request throttle is
# lifted, so the benchmark measures the connector, not the test fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
reports="${1:-1000}"; expenses="${2:-5}"; latency="${3:-50}"; concurrency="${4:-8}"; batches="${5:-50,50+drop,0}"; keys="${6:-server}"
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
  python3 - "$out/ledger.sqlite" > "$out/$label-open-before.txt" <<'PY'
import os, sqlite3, sys
if not os.path.exists(sys.argv[1]): print(0); sys.exit()
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT COUNT(*) FROM report WHERE state <> 'committed' AND report_id NOT IN (SELECT report_id FROM report_drop)").fetchone()[0])
PY
  start=$(date +%s.%N)
  set +e
  /usr/bin/time -f "%U %S" -o "$out/$label-cpu.txt" "$bin/ml-connector" run --config "$config" --quiet --json > "$out/$label-summary.json"
  code=$?
  set -e
  end=$(date +%s.%N)
  read -r user sys < "$out/$label-cpu.txt"
  echo "{\"start\": $start, \"end\": $end, \"exit\": $code, \"user\": $user, \"system\": $sys}" > "$out/$label-time.json"
  curl -sf "$url/_sandbox/stats" > "$out/$label-stats.json"
  curl -sf "$url/_sandbox/d365/requests" > "$out/$label-requests.json"
}

# The write request in the middle of an earlier plain night with batch size $1 (0 when there was none).
middle_write() {
  local plain="$root/batch-$1/first-requests.json"
  [ -s "$plain" ] || { echo 0; return; }
  python3 - "$plain" "$1" <<'PY'
import json, sys
requests = json.load(open(sys.argv[1]))["requests"]
target = "/data/$batch" if sys.argv[2] != "0" else "/data/VendorInvoiceHeaders"
n = sum(1 for r in requests if r.get("system") == "d365" and r.get("method") == "POST" and r.get("url", "").split("?")[0] == target)
print(n // 2)
PY
}

for spec in ${batches//,/ }; do
  batch="${spec%+drop}"
  out="$root/batch-$spec"
  mkdir -p "$out"
  "$bin/ml-sandbox" --port 0 --seeds samples/sandbox --latency-ms "$latency" --ready-file "$out/sandbox.url" >"$out/sandbox.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do [ -s "$out/sandbox.url" ] && break; sleep 0.1; done
  url="$(cat "$out/sandbox.url")"
  curl -sf -X POST "$url/_sandbox/d365/settings" -H 'Content-Type: application/json' \
    -d '{"requestsPerWindow":1000000,"pageSize":10000}' >/dev/null
  curl -sf -X POST "$url/_sandbox/expensify/generate?reports=$reports&expenses=$expenses&policyID=A1B2C3D4E5F60001&email=alice.nguyen@northwind.example" >/dev/null
  if [ "$spec" != "$batch" ]; then
    after="${BENCH_DROP_AFTER:-$(middle_write "$batch")}"
    [ "$after" -gt 0 ] || after=10
    entity='$batch'; [ "$batch" = 0 ] && entity=VendorInvoiceHeaders
    curl -sf -X POST "$url/_sandbox/d365/faults" -H 'Content-Type: application/json' \
      -d "{\"count\":1,\"drop\":true,\"method\":\"POST\",\"entitySet\":\"$entity\",\"after\":$after}" >/dev/null
    echo "{\"after\": $after, \"entitySet\": \"$entity\"}" > "$out/drop.json"
  fi
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
import json, math, os, sqlite3, sys, re
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

def dropped(requests, entity):
    """(position among the POSTs to the fault's target, how many there were, operations in the dropped request)."""
    target = "/data/" + entity
    posts = [r for r in requests if r.get("system") == "d365" and r.get("method") == "POST" and r.get("url", "").split("?")[0] == target]
    for n, r in enumerate(posts):
        if r.get("dropped"): return n + 1, len(posts), len(r.get("parts") or [])
    return None, len(posts), 0

rows = []
for spec in batches.split(","):
    out = f"{root}/batch-{spec}"
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
    still_open = int(open(f"{out}/nothing-new-open-before.txt").read().strip() or 0)
    row = {
        "spec": spec, "batch": spec.replace("+drop", ""), "exit": t["exit"], "reports": n, "documents": docs, "failed": s["load"]["failed"],
        "wall": t["end"] - t["start"], "cpu": t["user"] + t["system"],
        "load": stage_seconds(ledger, bid, "load"), "extract": stage_seconds(ledger, bid, "extract"),
        "transform": stage_seconds(ledger, bid, "transform"), "commit": stage_seconds(ledger, bid, "commit"),
        "d365": st.get("d365", 0), "entra": st.get("entra", 0), "expensify": st.get("expensify", 0),
        "load_requests": s["load"]["httpRequests"], "peak": s.get("peakMemoryMB"),
        "nn_exit": nt["exit"], "nn_wall": nt["end"] - nt["start"], "nn_cpu": nt["user"] + nt["system"], "nn_created": nn["load"]["created"],
        "nn_expensify": nst.get("expensify", 0), "nn_expected": 3 + 2 * math.ceil(still_open / 100), "nn_open": still_open,
        "nn_d365": nst.get("d365", 0), "nn_entra": nst.get("entra", 0),
        "nn_max_reads": max(reads.values()) if reads else 0, "nn_reads": len(reads),
    }
    if os.path.exists(f"{out}/drop.json"):
        d = json.load(open(f"{out}/drop.json"))
        pos, total, parts = dropped(json.load(open(f"{out}/first-requests.json"))["requests"], d["entitySet"])
        row["drop"] = {"after": d["after"], "entitySet": d["entitySet"], "position": pos, "posts": total, "operations": parts}
    rows.append(row)

def mode(r):
    m = "per request" if r["batch"] == "0" else f"$batch {r['batch']}"
    return m + (" + drop" if "drop" in r else "")

print(f"build={conf} reports={reports}x{expenses} expenses, latency={latency} ms per request, concurrency={conc}, keys={keys}, strategy={strategy}")
for r in rows:
    print(f"\n[{mode(r)}] exit={r['exit']} reports={r['reports']} documents created={r['documents']} failed={r['failed']}")
    if "drop" in r:
        d = r["drop"]
        where = f"POST {d['entitySet']} #{d['position']} of {d['posts']} ({d['operations']} operations) answered by a closed connection" \
            if d["position"] else f"no request was dropped (fault after {d['after']}, only {d['posts']} matching POSTs)"
        print(f"  dropped: {where}")
    print(f"  whole night: {r['wall']:.2f} s (connector CPU {r['cpu']:.2f} s)   extract {r['extract']:.2f} s   transform {r['transform']:.2f} s"
          f"   load stage {r['load']:.2f} s   commit {r['commit']:.2f} s")
    print(f"  HTTP: D365 {r['d365']} ({r['d365'] / max(r['reports'], 1):.3f} per report), Entra {r['entra']}, Expensify {r['expensify']};"
          f" load stage {r['load_requests']} (token included)")
    print(f"  peak memory (VmHWM): {r['peak']} MB")
    print(f"  nothing new: exit={r['nn_exit']} created={r['nn_created']} wall {r['nn_wall']:.2f} s (CPU {r['nn_cpu']:.2f} s),"
          f" Expensify {r['nn_expensify']} calls (expected 3 + 2 per 100 of the {r['nn_open']} open reports = {r['nn_expected']}),"
          f" D365 {r['nn_d365']} requests ({r['nn_reads']} master-data reads, at most {r['nn_max_reads']} per company and entity), Entra {r['nn_entra']}")

base = rows[0]
def ratio(v, b): return f"{v / b:.2f}x" if b else "-"
if len(rows) > 1:
    print("\nside by side (ratio to the first):")
    print(f"  {'mode':<20}{'D365 req/report':>16}{'load s':>10}{'night s':>10}")
    for r in rows:
        print(f"  {mode(r):<20}{r['d365'] / max(r['reports'], 1):>16.3f}{r['load']:>10.2f}{r['wall']:>10.2f}"
              f"   ({ratio(r['d365'], base['d365'])} requests, {ratio(r['load'], base['load'])} load time)")
    for r in rows:
        plain = next((p for p in rows if p["spec"] == r["batch"]), None)
        if "drop" in r and plain:
            print(f"  {mode(r)}: the dropped connection added {r['wall'] - plain['wall']:+.2f} s to the night"
                  f" ({r['load'] - plain['load']:+.2f} s to the load stage), {r['d365'] - plain['d365']:+d} D365 requests,"
                  f" {r['documents']} of {plain['documents']} documents created")
json.dump(rows, open(f"{root}/results.json", "w"), indent=2)
PY
