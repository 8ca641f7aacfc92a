#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian/Ubuntu machine (run as root, e.g. in CI).
# Idempotent: packages already installed are skipped, and `apt-get update` runs only when something
# is missing.
#
#   libfreemarker-java, default-jre-headless  real Apache FreeMarker for ExportTemplateFreeMarkerTests
#                                             (jar: /usr/share/java/freemarker.jar; run with `java`)
#   libsqlite3-dev                            SQLite for the batch ledger (GRDB)
#   libcurl4-openssl-dev                      libcurl headers for the HTTP transport (CCurl, CurlTransport)
#   libxml2-dev                               FoundationXML on Linux
#   chromium                                  headless browser that renders the batch report (BatchReportTests)
set -euo pipefail

PACKAGES=(libfreemarker-java default-jre-headless libsqlite3-dev libcurl4-openssl-dev libxml2-dev chromium)

die() { echo "install-test-deps: $*" >&2; exit 1; }

command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
    || die "this script needs a Debian-based system (dpkg and apt-get not found)"

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed$'; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-test-deps: all test dependencies already installed"
    exit 0
fi

[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; run this script as root (e.g. sudo $0)"

echo "install-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

if ! apt-get update -qq >"$log" 2>&1; then
    cat "$log" >&2
    die "apt-get update failed (see output above)"
fi
if ! apt-get install -y -qq "${missing[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    die "apt-get install failed for: ${missing[*]} (see output above)"
fi

[ -e /usr/share/java/freemarker.jar ] || die "libfreemarker-java installed but /usr/share/java/freemarker.jar is missing"
command -v java >/dev/null 2>&1 || die "default-jre-headless installed but java is not on PATH"
command -v chromium >/dev/null 2>&1 || die "chromium installed but chromium is not on PATH"
echo "install-test-deps: done"
