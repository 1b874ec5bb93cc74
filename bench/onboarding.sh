#!/usr/bin/env bash
# Onboarding benchmark: time to ready for one provider (no injected latency), then N providers
# (default 1000) created at once; checks the sandbox for duplicates. limited (the default):
# under Partner Center's and ARM's rate limits as the sandbox enforces them, reported against
# the lower bound (calls / rate) with the 429s the sandbox answered; on PostgreSQL two service
# instances share the work and the pace. unlimited: no limit anywhere. Release build in
# build-release. Usage: bench/onboarding.sh [N] [sqlite|postgresql] [limited|unlimited]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export CCACHE_BASEDIR=$PWD
BUILD="${BENCH_BUILD:-build-release}"
nice -n 5 cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
nice -n 5 cmake --build "$BUILD" -j2 --target partnercloud onboarding_bench
export PARTNERCLOUD_BINARY=$PWD/$BUILD/partnercloud
if [[ ${2:-sqlite} == postgresql ]]; then
  exec scripts/with-postgres.sh "$BUILD/bench/onboarding_bench" "${1:-1000}" postgresql "${3:-limited}"
fi
exec "$BUILD/bench/onboarding_bench" "${1:-1000}" sqlite "${3:-limited}"
