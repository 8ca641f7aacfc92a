#!/usr/bin/env bash
# Starts the sandbox (simulated Expensify, Entra ID, D365 F&O) in the background on a free loopback
# port. Prints the base URL; writes the PID to $1.pid and the URL to $1.url (default: staging/sandbox).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${1:-staging/sandbox}"
shift || true
mkdir -p "$(dirname "$prefix")"
rm -f "$prefix.url"
.build/debug/ml-sandbox --port 0 --seeds samples/sandbox --ready-file "$prefix.url" "$@" >"$prefix.log" 2>&1 &
echo $! > "$prefix.pid"
for _ in $(seq 1 100); do
  [ -s "$prefix.url" ] && { cat "$prefix.url"; echo; exit 0; }
  kill -0 "$(cat "$prefix.pid")" 2>/dev/null || { cat "$prefix.log" >&2; echo "sandbox failed to start" >&2; exit 1; }
  sleep 0.1
done
echo "sandbox did not start within 10 s" >&2
exit 1
