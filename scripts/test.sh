#!/usr/bin/env bash
# The test command (README, CI): installs what the tests need, builds, runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
swift build --build-tests
swift test --skip-build 2>&1 | tee .build/test-output.txt
