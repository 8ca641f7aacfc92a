#!/usr/bin/env bash
# One-command demo: builds, starts the sandbox seeded from samples/, runs the nightly pipeline against
# it (twice, to show that the second run creates nothing), prints the summary, stops the sandbox.
#
#   scripts/demo.sh [d365fo|bc|nav-odata|nav-soap] [invoice|journal] [--unset-fields absent|empty|zero]
#   scripts/demo.sh reference    # before the night (D365): maps check, align dry runs, employees sync dry run
#
# The target defaults to d365fo (samples/config.json); bc, nav-odata and nav-soap use samples/config-<target>.json
# against the sandbox's Business Central and NAV simulators. `journal` writes general journal lines instead of
# purchase invoices (BC and NAV only).
#
# --unset-fields: how the simulated Expensify shows fields a report or expense does not have (modifiedAmount,
# modifiedMerchant, receiptObject, ...): left out (default), as "" , or as "" with 0 for modifiedAmount.
# The invoices posted are the same in every shape.
set -euo pipefail
cd "$(dirname "$0")/.."
unset_fields="${UNSET_FIELDS:-absent}"
target=d365fo
document=invoice
reference=no
while [ $# -gt 0 ]; do
  case "$1" in
    d365fo|bc|nav-odata|nav-soap) target="$1"; shift ;;
    invoice|journal) document="$1"; shift ;;
    reference) reference=yes; shift ;;
    --unset-fields) unset_fields="${2:-}"; shift 2 || { echo "--unset-fields needs a value" >&2; exit 2; } ;;
    --unset-fields=*) unset_fields="${1#*=}"; shift ;;
    *) echo "usage: scripts/demo.sh [d365fo|bc|nav-odata|nav-soap] [invoice|journal] [--unset-fields absent|empty|zero] | reference" >&2; exit 2 ;;
  esac
done
if [ "$target" = d365fo ]; then
  sample=samples/config.json
  [ "$document" = invoice ] || { echo "D365 F&O takes pending vendor invoices only (no journal demo)" >&2; exit 2; }
else
  sample="samples/config-$target.json"
fi
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
    -e "s#staging/ledger.sqlite#$demo/ledger.sqlite#" "$sample" > "$demo/config.json"
if [ "$document" = journal ]; then
  python3 - "$demo/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p, encoding="utf-8"))
c["target"]["document"] = "generalJournal"
json.dump(c, open(p, "w", encoding="utf-8"), indent=2, ensure_ascii=False)
PY
fi
echo "==> Target: $target ($document), configuration $sample"
# Sandbox-only credentials (samples/sandbox/*.json); real ones come from the operator's environment.
export EXPENSIFY_PARTNER_USER_ID=aa_finance_northwind_example
export EXPENSIFY_PARTNER_USER_SECRET=5c1d0a7e9b2f4c6d8e0a1b3c5d7e9f1a2b4c6d8e
export D365_CLIENT_SECRET=sandbox-only-client-secret-7Qk2
export BC_CLIENT_SECRET=sandbox-only-client-secret-7Qk2
export NAV_ACCESS_KEY=c2FuZGJveC1vbmx5LW5hdi1hY2Nlc3Mta2V5LTAwMDE=
if [ "$reference" = yes ]; then
  # Reference data and employees, read-only: nothing is written to Expensify or the ERP.
  cli=(.build/debug/ml-connector)
  echo "==> maps check (exit 1: something would hold a report tonight)"
  "${cli[@]}" maps check --config "$demo/config.json" 2>/dev/null || true
  echo "==> align categories --dry-run"
  "${cli[@]}" align categories --dry-run --config "$demo/config.json" 2>/dev/null || true
  echo "==> align tags --dry-run (the sample policies have dependent tags: each is left alone)"
  "${cli[@]}" align tags --dry-run --config "$demo/config.json" 2>/dev/null || true
  echo "==> employees sync --dry-run"
  "${cli[@]}" employees sync --dry-run --config "$demo/config.json" 2>/dev/null || true
  exit 0
fi
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
if [ "$target" != d365fo ]; then
  echo "==> Documents in the sandbox's $target companies:"
  for company in "Northwind Traders & Sons Ltd." "Northwind UK Ltd." "Northwind K.K."; do
    curl -fsS -G --data-urlencode "company=$company" "$url/_sandbox/nav/documents" | python3 -c '
import json, sys
from decimal import Decimal
company = sys.argv[1]
d = json.load(sys.stdin)
for inv in sorted(d.get("purchaseInvoices", []), key=lambda i: i.get("vendorInvoiceNumber", "")):
    total = sum(Decimal(str(l["amount"])) for l in inv.get("lines", []))
    print("  %-30s invoice %-12s %-10s %-10s %s %s (%s)" % (company, inv.get("number"), inv.get("vendorInvoiceNumber"), inv.get("vendorNumber"), inv.get("currencyCode"), total, inv.get("status")))
docs = {}
for l in d.get("journalLines", []):
    docs.setdefault(l["documentNumber"], []).append(l)
for doc, lines in sorted(docs.items()):
    debit = sum(Decimal(str(l["amount"])) for l in lines if Decimal(str(l["amount"])) > 0)
    print("  %-30s journal %-12s %d line(s), debit %s, balance %s" % (company, doc, len(lines), debit, sum(Decimal(str(l["amount"])) for l in lines)))
' "$company"
  done
else
echo "==> Pending vendor invoices in the sandbox D365:"
curl -fsS "$url/_sandbox/d365/invoices" | python3 -c '
import json, sys
from decimal import Decimal
for inv in sorted(json.load(sys.stdin)["invoices"], key=lambda i: i["InvoiceNumber"]):
    total = sum(Decimal(str(l["NetAmount"])) for l in inv.get("lines", []))
    print("  %-16s %-5s %-10s %s %s" % (inv["InvoiceNumber"], inv["dataAreaId"], inv["InvoiceAccount"], inv["Currency"], total))
'
fi
echo "==> Second run (must create nothing new)"
.build/debug/ml-connector run --config "$demo/config.json" --quiet | grep -E "Invoices created|Reports found" || true
echo "==> Ledger status: .build/debug/ml-connector status --config $demo/config.json"
