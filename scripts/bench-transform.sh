#!/usr/bin/env bash
# Benchmark of `transform` alone, on a release build: expense lines per second and peak memory of the real
# `ml-connector transform --batch ID` over a generated batch of N expense lines (default 1,000,000).
#
#   scripts/bench-transform.sh [lines=1000000] [template_reports=1000] [template_expenses=5]
#
# 1. The template: `ml-sandbox` generates `template_reports` approved reports of `template_expenses` expenses (next to
#    its seed reports, some of which are held for finance: unmapped category, unknown tag, no vendor, ...), and the
#    real `ml-connector extract` writes their records, policy catalog and D365 master data.
# 2. `ml-transform-bench` (Sources/ml-transform-bench) repeats the template's records under new IDs into a fresh
#    batch and ledger until the batch has `lines` expense lines, registers the reports and a succeeded extract run with
#    the files' SHA-256.
# 3. `ml-connector transform --batch ID`, timed by /usr/bin/time -v: wall and CPU time, peak resident memory (the
#    whole process, maximum RSS = VmHWM). Lines per second = expense lines / wall time of the process.
#
# BENCH_CONFIG=debug uses the debug build (default release). BENCH_PERF=1 records a profile of the transform with
# `perf record -g` (bench-out/transform/perf.data; read it with `perf report -i ...`).
set -euo pipefail
cd "$(dirname "$0")/.."
lines="${1:-1000000}"; treports="${2:-1000}"; texpenses="${3:-5}"
conf="${BENCH_CONFIG:-release}"
build() { if ! log=$(swift build -c "$conf" --product "$1" 2>&1); then echo "$log" >&2; exit 1; fi; }
build ml-connector
build ml-sandbox
build ml-transform-bench
bin=".build/$conf"
export EXPENSIFY_PARTNER_USER_ID=aa_finance_northwind_example
export EXPENSIFY_PARTNER_USER_SECRET=5c1d0a7e9b2f4c6d8e0a1b3c5d7e9f1a2b4c6d8e
export D365_CLIENT_SECRET=sandbox-only-client-secret-7Qk2
out="bench-out/transform"
rm -rf "$out"; mkdir -p "$out/template"
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true' EXIT

# 1. Template batch: a real extract against the sandbox.
"$bin/ml-sandbox" --port 0 --seeds samples/sandbox --ready-file "$out/sandbox.url" >"$out/sandbox.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -s "$out/sandbox.url" ] && break; sleep 0.1; done
url="$(cat "$out/sandbox.url")"
curl -sf -X POST "$url/_sandbox/d365/settings" -H 'Content-Type: application/json' -d '{"requestsPerWindow":1000000,"pageSize":10000}' >/dev/null
curl -sf -X POST "$url/_sandbox/expensify/generate?reports=$treports&expenses=$texpenses&policyID=A1B2C3D4E5F60001&email=alice.nguyen@northwind.example" >/dev/null
sed -e "s#http://127.0.0.1:8765#$url#g" -e "s#\"root\": \"staging\"#\"root\": \"$out/template/staging\"#" \
    -e "s#staging/ledger.sqlite#$out/template/ledger.sqlite#" samples/config.json > "$out/template/config.json"
"$bin/ml-connector" extract --config "$out/template/config.json" --quiet --json > "$out/template/extract.json"
kill $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
pid=""
tbatch="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["batchID"])' "$out/template/extract.json")"

# 2. The generated batch.
sed -e "s#\"root\": \"staging\"#\"root\": \"$out/staging\"#" -e "s#staging/ledger.sqlite#$out/ledger.sqlite#" \
    samples/config.json > "$out/config.json"
"$bin/ml-transform-bench" --template "$out/template/staging/$tbatch/extract" --staging "$out/staging" --ledger "$out/ledger.sqlite" \
    --lines "$lines" > "$out/generated.json"
batch="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["batchID"])' "$out/generated.json")"

# 3. transform, timed.
cmd=("$bin/ml-connector" transform --batch "$batch" --config "$out/config.json" --quiet --json)
if [ "${BENCH_PERF:-0}" = 1 ]; then cmd=(perf record -g -o "$out/perf.data" -- "${cmd[@]}"); fi
/usr/bin/time -v -o "$out/time.txt" "${cmd[@]}" > "$out/summary.json"

python3 - "$out" "$conf" <<'PY'
import json, sqlite3, sys, re, os
from datetime import datetime
out, conf = sys.argv[1:3]
g = json.load(open(f"{out}/generated.json"))
s = json.load(open(f"{out}/summary.json"))
t = open(f"{out}/time.txt").read()
def field(name):
    m = re.search(re.escape(name) + r":\s*(.+)", t)
    return m.group(1).strip() if m else ""
def seconds(text):
    parts = [float(p) for p in text.split(":")]
    v = 0.0
    for p in parts: v = v * 60 + p
    return v
wall = seconds(field("Elapsed (wall clock) time (h:mm:ss or m:ss)"))
user, system = float(field("User time (seconds)")), float(field("System time (seconds)"))
rss = int(field("Maximum resident set size (kbytes)")) / 1024
db = sqlite3.connect(f"{out}/ledger.sqlite")
row = db.execute("SELECT started_at, finished_at, counts FROM stage_run WHERE batch_id = ? AND stage = 'transform' ORDER BY id DESC LIMIT 1",
                 (g["batchID"],)).fetchone()
parse = lambda x: datetime.strptime(x.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
stage = (parse(row[1]) - parse(row[0])).total_seconds()
counts = json.loads(row[2])
folder = f"{out}/staging/{g['batchID']}/transform"
sizes = {n: os.path.getsize(f"{folder}/{n}") for n in sorted(os.listdir(folder)) if not n.startswith(".")}
lines = counts.get("lines", g["lines"])
print(f"build={conf}: transform of {g['reports']:,} reports, {lines:,} expense lines ({g['recordsBytes'] / 1e6:.0f} MB of records;"
      f" template {g['templateRecords']} records, {g['templateLines']} lines, repeated)")
print(f"  reports: {s['ready']:,} ready, {s['held']:,} held, {s['empty']:,} nothing to post; {s['documents']:,} documents, {s['exceptions']:,} exceptions")
print(f"  wall {wall:.2f} s (stage {stage:.2f} s), CPU user {user:.2f} s + system {system:.2f} s")
print(f"  {lines / wall:,.0f} expense lines/s (process wall), {lines / stage:,.0f} lines/s (stage)")
print(f"  peak memory (maximum RSS) {rss:.0f} MB")
print("  files: " + ", ".join(f"{n} {v / 1e6:.0f} MB" for n, v in sizes.items()))
json.dump({"lines": lines, "reports": g["reports"], "wall": wall, "stage": stage, "user": user, "system": system, "peakMB": rss,
           "linesPerSecond": lines / wall, "ready": s["ready"], "held": s["held"], "documents": s["documents"], "files": sizes},
          open(f"{out}/results.json", "w"), indent=2)
PY
