#!/usr/bin/env bash
# Onboarding benchmark: time to ready for one provider (no injected latency), then N providers
# (default 1000) created at once; checks the sandbox for duplicates. Release build in
# build-bench/. Usage: bench/onboarding.sh [N] [sqlite|postgresql]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export CCACHE_BASEDIR=$PWD
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j2 --target partnercloud onboarding_bench
export PARTNERCLOUD_BINARY=$PWD/build-bench/partnercloud
if [[ ${2:-sqlite} == postgresql ]]; then
  exec scripts/with-postgres.sh build-bench/bench/onboarding_bench "${1:-1000}" postgresql
fi
exec build-bench/bench/onboarding_bench "${1:-1000}" sqlite
