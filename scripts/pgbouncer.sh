#!/usr/bin/env bash
# PgBouncer in transaction pooling mode on 127.0.0.1:6432 in front of the local PostgreSQL
# (127.0.0.1:5432), its configuration generated into .pgbouncer/. Usage: pgbouncer.sh
# start|stop|status. PGBOUNCER_PORT (6432), PRIMARY_PORT (5432).
# The app behind it: DATABASE_URL=postgres://postgres@127.0.0.1:6432/<db> and
# DATABASE_POOLER=pgbouncer-transaction (no server-side cursors, no prepared statements).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-deps.sh pgbouncer
PORT=${PGBOUNCER_PORT:-6432}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
DIR=$PWD/.pgbouncer
INI=$DIR/pgbouncer.ini

# PgBouncer refuses to run as root: as root, run it as the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { [ -f "$DIR/pgbouncer.pid" ] && kill -0 "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null; }

start() {
  if running; then
    echo "PgBouncer is running on 127.0.0.1:$PORT."
    return
  fi
  mkdir -p "$DIR"
  # The local server trusts 127.0.0.1; a real deployment uses auth_type = scram-sha-256 with
  # an auth_query or a userlist of SCRAM secrets instead.
  cat >"$INI" <<INI
[databases]
* = host=127.0.0.1 port=$PRIMARY_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir = $DIR
auth_type = trust
auth_file = $DIR/userlist.txt
pool_mode = transaction
max_client_conn = 200
default_pool_size = 20
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
admin_users = postgres
INI
  echo '"postgres" ""' >"$DIR/userlist.txt"
  [ "$(id -u)" = 0 ] && chown -R postgres "$DIR"
  as_pg "$(command -v pgbouncer || echo /usr/sbin/pgbouncer)" -d "$INI"
  for _ in $(seq 20); do
    psql -X -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -Atc "select 1" >/dev/null 2>&1 && break
    sleep 0.5
  done
  psql -X -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -Atc "select 1" >/dev/null
  echo "PgBouncer (transaction pooling) on 127.0.0.1:$PORT in front of 127.0.0.1:$PRIMARY_PORT"
  echo "(log: $DIR/pgbouncer.log). Use DATABASE_URL=postgres://postgres@127.0.0.1:$PORT/<db>"
  echo "with DATABASE_POOLER=pgbouncer-transaction."
}

stop() {
  if running; then
    kill "$(cat "$DIR/pgbouncer.pid")"
    echo "PgBouncer stopped."
  else
    echo "PgBouncer is not running."
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo running; else echo stopped; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
