#!/usr/bin/env bash
# One-command demo: builds, starts the sandbox seeded from samples/, runs the nightly pipeline against
# it (twice, to show that the second run creates nothing), prints the summary, stops the sandbox.
#
#   scripts/demo.sh [--unset-fields absent|empty|zero]     (or UNSET_FIELDS=empty scripts/demo.sh)
#
# --unset-fields: how the simulated Expensify shows fields a report or expense does not have (modifiedAmount,
# modifiedMerchant, receiptObject, ...): left out (default), as "" , or as "" with 0 for modifiedAmount.
# The invoices posted are the same in every shape.
set -euo pipefail
cd "$(dirname "$0")/.."
unset_fields="${UNSET_FIELDS:-absent}"
while [ $# -gt 0 ]; do
  case "$1" in
    --unset-fields) unset_fields="${2:-}"; shift 2 || { echo "--unset-fields needs a value" >&2; exit 2; } ;;
    --unset-fields=*) unset_fields="${1#*=}"; shift ;;
    *) echo "usage: scripts/demo.sh [--unset-fields absent|empty|zero]" >&2; exit 2 ;;
  esac
done
case "$unset_fields" in absent|empty|zero) ;; *) echo "--unset-fields must be absent, empty or zero" >&2; exit 2 ;; esac
echo "==> Building (the first build takes a few minutes)"
swift build --product ml-connector >/dev/null
swift build --product ml-sandbox >/dev/null
demo=staging/demo
rm -rf "$demo"
mkdir -p "$demo"
url="$(bash scripts/sandbox-up.sh "$demo/sandbox")"
trap 'kill "$(cat "$demo/sandbox.pid")" 2>/dev/null || true' EXIT
curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"unsetFields\":\"$unset_fields\"}" \
  "$url/_sandbox/expensify/settings" >/dev/null
echo "==> Sandbox at $url (Expensify sends unset fields: $unset_fields)"
# The sample configuration, pointed at this sandbox and this demo's staging folder.
sed -e "s#http://127.0.0.1:8765#$url#g" -e "s#\"root\": \"staging\"#\"root\": \"$demo\"#" \
    -e "s#staging/ledger.sqlite#$demo/ledger.sqlite#" samples/config.json > "$demo/config.json"
# Sandbox-only credentials (samples/sandbox/*.json); real ones come from the operator's environment.
export EXPENSIFY_PARTNER_USER_ID=aa_finance_northwind_example
export EXPENSIFY_PARTNER_USER_SECRET=5c1d0a7e9b2f4c6d8e0a1b3c5d7e9f1a2b4c6d8e
export D365_CLIENT_SECRET=sandbox-only-client-secret-7Qk2
echo "==> Nightly run"
set +e
.build/debug/ml-connector run --config "$demo/config.json" --quiet
code=$?
set -e
[ "$code" -eq 0 ] || [ "$code" -eq 3 ] || exit "$code"
echo "==> Exceptions held for finance ($demo/<batch>/transform/exceptions.csv):"
python3 - "$(ls -d "$demo"/2*/ | tail -1)transform/exceptions.csv" <<'PY'
import csv, sys
for row in csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8-sig")):
    print(f"  {row['record']:<28} {row['field']:<15} {row['reason']}")
PY
echo "==> Pending vendor invoices in the sandbox D365:"
curl -fsS "$url/_sandbox/d365/invoices" | python3 -c '
import json, sys
from decimal import Decimal
for inv in sorted(json.load(sys.stdin)["invoices"], key=lambda i: i["InvoiceNumber"]):
    total = sum(Decimal(str(l["NetAmount"])) for l in inv.get("lines", []))
    print("  %-16s %-5s %-10s %s %s" % (inv["InvoiceNumber"], inv["dataAreaId"], inv["InvoiceAccount"], inv["Currency"], total))
'
echo "==> Second run (must create nothing new)"
.build/debug/ml-connector run --config "$demo/config.json" --quiet | grep -E "Invoices created|Reports found" || true
echo "==> Ledger status: .build/debug/ml-connector status --config $demo/config.json"
