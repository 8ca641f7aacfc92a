#!/usr/bin/env bash
# NAV SOAP benchmark on a release build (Sources/ml-navsoap-bench): a ReadMultiple page of N records read through
# SafeXML and SOAPResponseDecoder (time, throughput, peak memory growth), Create envelopes written by SOAPEnvelope,
# and the time to refuse hostile documents (billion laughs, 10,000-deep nesting, 64 MB + 1 byte).
#
#   scripts/bench-navsoap.sh [--records 10000] [--envelopes 10000]
#
# BENCH_CONFIG=debug uses the debug build (default release). Writes bench-out/navsoap/navsoap.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
conf="${BENCH_CONFIG:-release}"
if ! log=$(swift build -c "$conf" --product ml-navsoap-bench 2>&1); then echo "$log" >&2; exit 1; fi
out="bench-out/navsoap"
rm -rf "$out"; mkdir -p "$out"
echo "$(nproc) cores, $(uname -sr), $conf build" | tee "$out/navsoap.txt"
".build/$conf/ml-navsoap-bench" "$@" | tee -a "$out/navsoap.txt"
