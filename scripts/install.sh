#!/usr/bin/env bash
# Builds the release binary the nightly job runs and installs it:
#
#   scripts/install.sh [PREFIX]        (default /usr/local; the binary goes to PREFIX/bin/ml-connector)
#
# `swift build -c release --product ml-connector` leaves it at .build/release/ml-connector; this copies it to
# PREFIX/bin (mode 0755, through a temporary file renamed into place, so a job starting meanwhile never runs a
# half-copied binary) and prints where it went. The binary links the system's libcurl and libsqlite3 (Debian:
# libcurl4, libsqlite3-0) and the Swift runtime libraries of the toolchain that built it, found through its RUNPATH
# (here /opt/swift/usr/lib/swift/linux): install it where that toolchain is installed at the same path.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${1:-/usr/local}"
case "$prefix" in
  -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
swift build -c release --product ml-connector
binary="$(swift build -c release --show-bin-path)/ml-connector"
[ -x "$binary" ] || { echo "install.sh: $binary was not built" >&2; exit 1; }
mkdir -p "$prefix/bin"
tmp="$prefix/bin/.ml-connector.$$"
trap 'rm -f "$tmp"' EXIT
cp "$binary" "$tmp"
chmod 0755 "$tmp"
mv -f "$tmp" "$prefix/bin/ml-connector"
trap - EXIT
echo "installed $prefix/bin/ml-connector (release build $binary, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
