#!/usr/bin/env bash
# A private Debian Postgres 15 cluster with initdb's defaults (fsync, synchronous_commit and
# full_page_writes on: durable), for the benchmarks' main tables (issue 24). Not a system service:
# its own data directory and port, run as the `postgres` OS user the package creates.
#
#   bash tools/bench/durable-pg.sh up     # installs postgresql-15 (pinned) if missing, initdb, start
#   bash tools/bench/durable-pg.sh url    # the admin URL, for BENCH_PG
#   bash tools/bench/durable-pg.sh down   # stop it (data kept; `purge` removes it)
#
# Only the port, the listen address, the socket directory and max_connections (several servers'
# pools at once) differ from initdb's postgresql.conf; nothing that decides what a commit or a
# plan costs.
set -euo pipefail
PG_PACKAGE_VERSION=15.18-0+deb12u1 # Debian bookworm's postgresql-15
BIN=/usr/lib/postgresql/15/bin
DATA=${CAIRN_BENCH_PG_DATA:-/var/tmp/cairn-bench-pg15}
PORT=${CAIRN_BENCH_PG_PORT:-55515}
OS_USER=postgres
PASSWORD=bench

as_pg() { runuser -u "$OS_USER" -- "$@"; }

install() {
  [[ -x $BIN/postgres ]] && return 0
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "postgresql-15=$PG_PACKAGE_VERSION" >&2
  # The package starts a cluster of its own on 5432; the bench does not use it.
  pg_ctlcluster 15 main stop 2>/dev/null || true
}

up() {
  install
  if [[ ! -f $DATA/PG_VERSION ]]; then
    mkdir -p "$DATA"
    chown "$OS_USER" "$DATA"
    chmod 700 "$DATA"
    pwfile=$(mktemp)
    echo "$PASSWORD" >"$pwfile"
    chmod 644 "$pwfile"
    as_pg "$BIN/initdb" -D "$DATA" -U bench --pwfile="$pwfile" -A scram-sha-256 >&2
    rm -f "$pwfile"
    cat >>"$DATA/postgresql.conf" <<CONF
# cairn bench (tools/bench/durable-pg.sh): durability and planner settings are initdb's defaults
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DATA'
max_connections = 300
CONF
  fi
  if ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w start >&2
  fi
  url
}

url() { echo "postgres://bench:$PASSWORD@127.0.0.1:$PORT/postgres"; }

down() { as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true; }

case ${1:-up} in
  up) up ;;
  url) url ;;
  down) down ;;
  purge) down && rm -rf "$DATA" ;;
  *) echo "usage: $0 up|url|down|purge" >&2 && exit 2 ;;
esac
