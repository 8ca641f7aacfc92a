#!/usr/bin/env bash
# The test command (README, CI): installs what the tests need, builds, runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
# Style: the checked-in .swift-format configuration, strictly (format with `swift format format -i -r Sources Tests Package.swift`).
echo "==> swift format lint --strict"
swift format lint --strict --recursive Sources Tests Package.swift
swift build --build-tests
mkdir -p .build
set +e
swift test --skip-build --disable-swift-testing 2>&1 | tee .build/test-output.txt
code=${PIPESTATUS[0]}
set -e
# A plain closing line for CI: "<passed> passed, <failed> failed" from XCTest's final summary.
summary=$(grep -E "Executed [0-9]+ tests?, with [0-9]+ failures?" .build/test-output.txt | tail -1)
if [ -n "$summary" ]; then
  total=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
  failed=$(echo "$summary" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
  echo "$((total - failed)) passed, $failed failed"
fi
exit "$code"
