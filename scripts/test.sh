#!/usr/bin/env bash
# Runs every test: unit tests, store tests on SQLite and PostgreSQL, end-to-end tests against
# real server processes. A throwaway PostgreSQL 15 server runs for the duration.
# Usage: scripts/test.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-asan}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
scripts/with-postgres.sh ctest --test-dir "$build" --output-on-failure -j2 --timeout 600
# The libFuzzer targets (usage readers, HTTP requests), each for a bounded time (skipped without clang).
scripts/fuzz.sh "${PARTNERCLOUD_FUZZ_SECONDS:-30}"
