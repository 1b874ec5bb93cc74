#!/usr/bin/env bash
# Runs a command next to a throwaway PostgreSQL 15 server:
#
#   scripts/with-postgres.sh CMD [ARGS...]
#
# The server lives in a fresh temporary directory, listens on a free loopback port, trusts local
# connections and runs with fsync off: for tests only. CMD sees
# PARTNERCLOUD_TEST_PG_URL=postgresql://postgres@127.0.0.1:PORT/postgres. The server is stopped
# and its directory removed however CMD ends; the script exits with CMD's status. Quiet unless
# something goes wrong. Set PG_BIN to use other PostgreSQL binaries.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
if [[ ! -x $PG_BIN/pg_ctl ]]; then
  echo "$0: no PostgreSQL in $PG_BIN (Debian: apt-get install postgresql-15)" >&2
  exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/partnercloud-pg.XXXXXX")
data=$dir/data

# The server refuses to run as root: then run it as the postgres user.
as_server=()
if [[ $(id -u) -eq 0 ]]; then
  chown postgres: "$dir"
  as_server=(runuser -u postgres --)
fi

# shellcheck disable=SC2317  # trap handlers are reached indirectly
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -f $data/postmaster.pid ]]; then
    "${as_server[@]}" "$PG_BIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  exit "$status"
}
# On INT or TERM, pass the signal on to the command, wait for it, then clean up.
child=
# shellcheck disable=SC2317
on_signal() {
  if [[ -n $child ]]; then
    kill -"$1" "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  exit "$2"
}
trap cleanup EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

fail() {
  echo "$0: $1" >&2
  if [[ -f $2 ]]; then tail -n 20 "$2" >&2; fi
  exit 1
}

"${as_server[@]}" "$PG_BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
  >"$dir/initdb.log" 2>&1 || fail "initdb failed:" "$dir/initdb.log"

# A free port: a random one nobody listens on. Another process may take it before the server
# binds it, so a failed start tries another port.
port_is_free() {
  [[ -z $(ss -Htln "sport = :$1" 2>/dev/null) ]]
}
started=false
for _ in 1 2 3 4 5 6 7 8 9 10; do
  port=$((20000 + RANDOM % 40000))
  port_is_free "$port" || continue
  if "${as_server[@]}" "$PG_BIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off \
-c full_page_writes=off -c max_connections=200" start >/dev/null 2>&1; then
    started=true
    break
  fi
done
$started || fail "cannot start PostgreSQL:" "$dir/server.log"

export PARTNERCLOUD_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
set +e
# In the background, so that a signal to this script is handled at once (bash runs traps only
# between foreground commands); stdin stays the script's.
"$@" <&0 &
child=$!
wait "$child"
exit $?
