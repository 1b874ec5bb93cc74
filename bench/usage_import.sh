#!/usr/bin/env bash
# Usage import benchmark: `partnercloud usage import` against DuckDB on the same Partner Center
# CSV and the equivalent GROUP BY, in one run. Not part of `make test`.
#
#   bench/usage_import.sh [ROWS] [ROUNDS]     (defaults 2000000 and 2)
#
# The file is one month of a partner's usage: 200 customers with one Azure subscription each,
# 81 resources per meter (2 to 6 meters a subscription), so 2,000,000 lines fill January 2025
# (a daily rated usage file covers one billing period). Each round imports the file into a new
# SQLite database and then runs DuckDB on it; the rounds alternate so both see the same machine.
#
# Builds the Release binary (make build BUILD=build-release), generates the file with
# `partnercloud sandbox generate-usage`, installs @duckdb/node-api (bench/package.json) into
# bench/node_modules, then prints both wall times, the throughput ratio and both peak memories
# (/usr/bin/time -v). Our import does more than the GROUP BY: it parses every row into exact
# decimals, groups by day as well, records each (subscription, day) partition's line hashes
# (usage_partitions) and commits it all to SQLite in one transaction.
set -euo pipefail

ROWS="${1:-2000000}"
ROUNDS="${2:-2}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BUILD="${BENCH_BUILD:-$ROOT/build-release}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pc-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

echo "== building $BUILD (Release)"
make -C "$ROOT" build BUILD="$BUILD" >/dev/null
BIN="$BUILD/partnercloud"

echo "== installing DuckDB (bench/package.json) into bench/node_modules"
(cd "$HERE" && npm install --no-audit --no-fund --silent >/dev/null)

CSV="$WORK/usage.csv"
echo "== generating $ROWS rows"
"$BIN" sandbox generate-usage --rows "$ROWS" --customers 200 --resources 81 --seed 1 --out "$CSV"
BYTES=$(stat -c %s "$CSV")
echo "   $(numfmt --to=iec "$BYTES") in $CSV"

# Runs a command under /usr/bin/time -v; sets WALL (seconds) and RSS (KiB).
measure() {
  local log="$WORK/time.log"
  /usr/bin/time -v "$@" >"$WORK/out.log" 2>"$log" || { cat "$WORK/out.log" "$log"; exit 1; }
  cat "$WORK/out.log"
  WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0;
           for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$log")
  RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
}

for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round: partnercloud usage import (SQLite)"
  rm -f "$WORK"/bench.db*
  measure "$BIN" usage import --database "sqlite:$WORK/bench.db" "$CSV"
  PC_WALL=$WALL PC_RSS=$RSS

  echo "== round $round: DuckDB GROUP BY (customer, Azure subscription, meter category), DECIMAL sums"
  measure node "$HERE/duckdb_groupby.mjs" "$CSV"
  DD_WALL=$WALL DD_RSS=$RSS

  awk -v rows="$ROWS" -v pw="$PC_WALL" -v dw="$DD_WALL" -v pr="$PC_RSS" -v dr="$DD_RSS" \
      -v round="$round" 'BEGIN {
    printf "\nround %d %-20s %10s %14s %12s\n", round, "", "wall (s)", "rows/s", "peak RSS";
    printf "%-28s %10.2f %14.0f %9.0f MiB\n", "partnercloud usage import", pw, rows / pw, pr / 1024;
    printf "%-28s %10.2f %14.0f %9.0f MiB\n", "DuckDB (node-api)", dw, rows / dw, dr / 1024;
    printf "throughput ratio (partnercloud / DuckDB): %.2fx; memory ratio: %.2fx\n\n",
           dw / pw, pr / dr }'
done
