#!/usr/bin/env bash
# Month close benchmark: `partnercloud billing close` for last month with ALIASES billing aliases
# (default 10,000), each with a month of generated usage (bench/bench_seed.cpp: one Azure
# subscription, 2 to 6 meters a day x RESOURCES lines, imported with `partnercloud usage
# import`), posting one invoice line per alias to the sandbox's CenturyLink Cloud invoice sink.
# Then the same close again, which must post nothing (exactly once). Not part of `make test`.
#
#   bench/month_close.sh [sqlite|postgresql] [ALIASES] [RESOURCES]   (defaults sqlite, 10000, 1)
#
# Prints the close's wall time against the target (< 10 s), the time per alias, and where it
# goes: the time the posts took as the client saw them (the HTTP client's per-attempt log
# lines) and the rest (reading usage, computing and recording the lines). Release build in
# build-release; PostgreSQL under scripts/with-postgres.sh (throwaway server, fsync off).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BACKEND="${1:-sqlite}"
ALIASES="${2:-10000}"
RESOURCES="${3:-1}"
BUILD="${BENCH_BUILD:-$ROOT/build-release}"

if [[ -z ${PC_BENCH_BUILT:-} ]]; then
  "$ROOT/scripts/setup.sh"
  echo "== building $BUILD (Release): partnercloud bench_seed"
  export CCACHE_BASEDIR=$ROOT
  nice -n 5 cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  nice -n 5 cmake --build "$BUILD" -j2 --target partnercloud bench_seed >/dev/null
  export PC_BENCH_BUILT=1
fi
if [[ $BACKEND == postgresql && -z ${PARTNERCLOUD_TEST_PG_URL:-} ]]; then
  exec "$ROOT/scripts/with-postgres.sh" "$0" "$@"
fi

BIN="$BUILD/partnercloud"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pc-close-bench.XXXXXX")"
SANDBOX_PID=
cleanup() {
  [[ -n $SANDBOX_PID ]] && kill "$SANDBOX_PID" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if [[ $BACKEND == postgresql ]]; then
  DB_NAME="pc_close_bench_$$"
  psql -q "$PARTNERCLOUD_TEST_PG_URL" -c "CREATE DATABASE $DB_NAME" >/dev/null
  DB="${PARTNERCLOUD_TEST_PG_URL%/*}/$DB_NAME"
else
  DB="sqlite:$WORK/bench.db"
fi
MONTH=$(date -u -d "$(date -u +%Y-%m-01) -1 day" +%Y-%m)

echo "== $BACKEND: seeding $ALIASES aliases with $MONTH's usage"
"$BUILD/bench/bench_seed" "$DB" "$ALIASES" "$RESOURCES" "$MONTH" "$WORK/usage.csv"
"$BIN" usage import --database "$DB" "$WORK/usage.csv" >/dev/null
rm -f "$WORK/usage.csv"

"$BIN" sandbox --port 0 --port-file "$WORK/sb.port" --seed 1 >"$WORK/sandbox.log" 2>&1 &
SANDBOX_PID=$!
for _ in $(seq 1 300); do [[ -s $WORK/sb.port ]] && break; sleep 0.1; done
SB="http://127.0.0.1:$(cat "$WORK/sb.port")"
for _ in $(seq 1 100); do curl -sf "$SB/sandbox/control/state" >/dev/null && break; sleep 0.1; done
# The aliases as CLC accounts, so the invoice sink accepts their lines.
awk -v n="$ALIASES" 'BEGIN { d = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"; printf "{\"aliases\":[";
  for (i = 1; i <= n; i++) { s = ""; v = i; for (k = 0; k < 3; k++) { s = substr(d, v % 36 + 1, 1) s; v = int(v / 36) }
    printf "%s\"B%s\"", (i > 1 ? "," : ""), s } print "]}" }' >"$WORK/accounts.json"
curl -sf "$SB/sandbox/control/clc-accounts" -H 'Content-Type: application/json' \
  --data-binary @"$WORK/accounts.json" >/dev/null

close() {  # -> CLOSE_WALL (s); output in $WORK/close.out, client log in $WORK/close.err
  local start end
  start=$(date +%s.%N)
  "$BIN" billing close --month "$MONTH" --database "$DB" --set upstream.sandbox_url="$SB" \
    >"$WORK/close.out" 2>"$WORK/close.err"
  end=$(date +%s.%N)
  CLOSE_WALL=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
}

echo "== closing $MONTH"
close
FIRST=$CLOSE_WALL
LINES=$(grep -c 'Integrated Azure Services Usage' "$WORK/close.out" || true)
POSTED=$(awk '/lines posted to the CenturyLink Cloud invoice/ {print $1}' "$WORK/close.out")
POST_MS=$(grep -o '"method":"POST"[^}]*"durationMs":[0-9.]*' "$WORK/close.err" |
  awk -F'"durationMs":' '{ s += $2 } END { print s + 0 }')
POSTS=$(grep -c '"method":"POST"' "$WORK/close.err" || true)
SINK=$(curl -sf "$SB/sandbox/control/state" | jq '.invoiceLines | length')
echo "== closing $MONTH again"
close
SECOND=$CLOSE_WALL
POSTED_AGAIN=$(awk '/lines posted to the CenturyLink Cloud invoice/ {print $1}' "$WORK/close.out")
SINK_AGAIN=$(curl -sf "$SB/sandbox/control/state" | jq '.invoiceLines | length')

awk -v b="$BACKEND" -v n="$ALIASES" -v m="$MONTH" -v t="$FIRST" -v l="$LINES" -v p="$POSTED" \
    -v pm="$POST_MS" -v np="$POSTS" -v sink="$SINK" -v t2="$SECOND" -v p2="$POSTED_AGAIN" \
    -v sink2="$SINK_AGAIN" 'BEGIN {
  printf "\n%s: close of %s for %d aliases\n", b, m, n;
  printf "first close   %8.2f s  (%.2f ms per alias)  %d lines, %d posted; sink holds %d   target < 10 s: %s\n",
         t, t * 1000 / n, l, p, sink, (t < 10 ? "met" : "MISSED");
  printf "  posting     %8.2f s  (%d HTTP posts, %.2f ms each, as the client timed them)\n",
         pm / 1000, np, (np ? pm / np : 0);
  printf "  the rest    %8.2f s  (start, reading the month'"'"'s usage, computing and recording the lines)\n",
         t - pm / 1000;
  printf "second close  %8.2f s  %d posted; sink holds %d   exactly once: %s\n", t2, p2, sink2,
         (p2 == 0 && sink2 == sink && sink == n ? "yes" : "NO") }'
