#!/usr/bin/env bash
# Every benchmark of the README, one after the other on the release build, then one table of figures against their
# targets (issue 13):
#
#   scripts/bench-all.sh [--urlsession]
#
#   1. scripts/bench.sh 1000 5 50 8 50,50+drop,0: the nightly pipeline, 1,000 reports of 5 expenses at 50 ms per D365
#      request, concurrency 8: two-phase `$batch` 50 (server keys), the same night with one dropped connection in
#      the middle of the load, and one request per header and line; then a night with nothing new after each;
#   2. BENCH_PIPELINE=1 scripts/bench-transport.sh: CPU while waiting on a slow server (the transport alone, and the
#      real `ml-connector extract` against `ml-sandbox --latency-ms 5000`); --urlsession adds Foundation's URLSession;
#   3. scripts/bench-transform.sh 1000000: `transform` alone on 1,000,000 generated expense lines.
#
# Takes about 6 minutes (8 with --urlsession). Writes bench-out/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_CONFIG=release
start=$(date +%s)
mkdir -p bench-out
{
  echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "=== 1. nightly pipeline"
  scripts/bench.sh 1000 5 50 8 50,50+drop,0
  echo "=== 2. transport and waiting on a slow server"
  BENCH_PIPELINE=1 scripts/bench-transport.sh "$@"
  echo "=== 3. transform alone"
  scripts/bench-transform.sh 1000000
} 2>&1 | grep -v -e "^warning: " -e "^    /" | tee bench-out/all.txt

python3 - "$start" <<'PY' | tee bench-out/summary.txt
import json, re, sys, time
rows = {r["spec"]: r for r in json.load(open("bench-out/run-1000-5-50-8-release/results.json"))}
transport = open("bench-out/transport/transport.txt").read()
extract = json.load(open("bench-out/transport/extract.json"))
transform = json.load(open("bench-out/transform/results.json"))

def cpu_share(label):
    m = re.search(r"^curl\s+" + re.escape(label) + r".*?= ([0-9.]+)% of wall", transport, re.M)
    return float(m.group(1)) if m else float("nan")

b, d, p = rows["50"], rows["50+drop"], rows["0"]
per_report = b["d365"] / b["reports"]
table = [
    ("D365 requests per report, $batch 50, two-phase, server keys", f"{per_report:.3f} ({b['d365']} for {b['reports']} reports; per request: {p['d365'] / p['reports']:.3f}, {p['d365'] / b['d365']:.0f}x more)", "<= 0.05", per_report <= 0.05),
    ("load stage wall time, same night", f"{b['load']:.2f} s (per request: {p['load']:.2f} s, {p['load'] / b['load']:.1f}x slower); whole night {b['wall']:.2f} s", "<= 4 s", b["load"] <= 4),
    ("one dropped connection in the middle of the load", f"night +{d['wall'] - b['wall']:.2f} s ({d['wall']:.2f} vs {b['wall']:.2f} s), load stage +{d['load'] - b['load']:.2f} s; {d['documents']} of {b['documents']} documents, {d['failed']} failed", "< 2 s more", d["wall"] - b["wall"] < 2),
    ("CPU waiting on a slow server: 1 request, 5 s", f"{cpu_share('1 request'):.1f}% of wall", "<= 5%", cpu_share("1 request") <= 5),
    ("CPU waiting on a slow server: 100 requests, 5 s", f"{cpu_share('100 requests'):.1f}% of wall", "<= 5%", cpu_share("100 requests") <= 5),
    ("CPU of ml-connector extract, every request answered after 5 s", f"{100 * extract['cpu'] / extract['wall']:.1f}% ({extract['cpu']:.2f} s in {extract['wall']:.1f} s, {extract['requests']} requests)", "<= 5%", extract["cpu"] / extract["wall"] <= 0.05),
    ("transform alone, 1,000,000 expense lines", f"{transform['linesPerSecond']:,.0f} lines/s ({transform['lines']:,} lines in {transform['wall']:.2f} s, CPU {transform['user'] + transform['system']:.2f} s)", ">= 100,000 lines/s", transform["linesPerSecond"] >= 100_000),
    ("transform peak memory at 1,000,000 lines", f"{transform['peakMB']:.0f} MB", "<= 100 MB", transform["peakMB"] <= 100),
    ("nothing new: Expensify calls", f"{b['nn_expensify']} ({b['nn_open']} reports still open: 3 + 2 x {-(-b['nn_open'] // 100)})", "3 + 2 per 100 open", b["nn_expensify"] <= b["nn_expected"]),
    ("nothing new: D365 master data reads per company and entity", f"at most {b['nn_max_reads']} ({b['nn_reads']} reads, {b['nn_d365']} D365 requests, nothing written)", "<= 1", b["nn_max_reads"] <= 1),
]
print(f"\nfigures against targets (release build, {int(time.time()) - int(sys.argv[1])} s in all):")
for name, value, target, ok in table:
    print(f"  {'met   ' if ok else 'MISSED'}  {name}: {value}  [target {target}]")
PY
