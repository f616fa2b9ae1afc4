#!/usr/bin/env bash
# A local streaming replica of the local PostgreSQL, for trying DATABASE_REPLICA_URL:
# pg_basebackup -R from 127.0.0.1:5432 into .pg-replica/, then a standby on port 5433.
# Usage: pg-replica.sh start|stop|status.  PRIMARY_PORT (5432), REPLICA_PORT (5433).
#
# The primary needs wal_level=replica (or logical) and max_wal_senders > 0, which need a
# restart to change: this script never restarts it, it says so and stops. It also needs a
# pg_hba.conf line allowing replication connections from 127.0.0.1; where that is missing
# and the file is this machine's, it is added and the server reloaded (a reload, not a
# restart: no connection is dropped). The replica has a replication slot (REPLICA_SLOT), or a
# busy primary would recycle the WAL it needs before it starts streaming; `stop` drops the
# slot, so a stopped replica never makes the primary keep WAL (and fill its disk), and the
# next `start` copies the primary afresh.
set -euo pipefail
cd "$(dirname "$0")/.."

PRIMARY_HOST=127.0.0.1
PRIMARY_PORT=${PRIMARY_PORT:-5432}
REPLICA_PORT=${REPLICA_PORT:-5433}
REPLICA_SLOT=${REPLICA_SLOT:-vs_local_replica}
DIR=$PWD/.pg-replica
DATA=$DIR/data
primary=(psql -X -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -d postgres -Atq)

# PostgreSQL refuses to run as root: as root, run its tools as the postgres user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bindir() {
  # The primary's own binaries: a standby must be of the same major version.
  local dir
  dir=$("${primary[@]}" -c "select setting from pg_config where name = 'BINDIR'")
  [ -x "$dir/pg_ctl" ] || { echo "pg_ctl not found in $dir" >&2; exit 1; }
  echo "$dir"
}

status() {
  [ -f "$DATA/PG_VERSION" ] && as_pg "$(bindir)/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

check_primary() {
  local wal senders
  wal=$("${primary[@]}" -c "show wal_level")
  senders=$("${primary[@]}" -c "show max_wal_senders")
  if [ "$wal" = minimal ] || [ "$senders" = 0 ]; then
    echo "The primary has wal_level=$wal, max_wal_senders=$senders. A replica needs" >&2
    echo "wal_level=replica and max_wal_senders >= 1 in its postgresql.conf, which take" >&2
    echo "effect only after a RESTART of the primary: do it in a maintenance window." >&2
    exit 1
  fi
  if psql -X "host=$PRIMARY_HOST port=$PRIMARY_PORT user=postgres dbname=postgres replication=true" \
      -c IDENTIFY_SYSTEM >/dev/null 2>&1; then
    return
  fi
  local hba line="host replication all 127.0.0.1/32 trust"
  hba=$("${primary[@]}" -c "show hba_file")
  if [ -w "$hba" ]; then
    echo "Allowing replication connections from 127.0.0.1 in $hba (a reload, no restart)"
    printf '\n# Local streaming replica for development (make replica)\n%s\n' "$line" >>"$hba"
    "${primary[@]}" -c "select pg_reload_conf()" >/dev/null
    sleep 1
  else
    echo "The primary refuses replication connections from 127.0.0.1. Add to $hba:" >&2
    echo "  $line" >&2
    echo "then reload it (SELECT pg_reload_conf(); no restart needed)." >&2
    exit 1
  fi
}

setting() { "${primary[@]}" -c "show $1"; }

slot_exists() {
  [ "$("${primary[@]}" -c "select count(*) from pg_replication_slots where slot_name = '$REPLICA_SLOT'")" = 1 ]
}

drop_slot() {
  if slot_exists; then
    "${primary[@]}" -c "select pg_drop_replication_slot('$REPLICA_SLOT')" >/dev/null
    echo "Replication slot $REPLICA_SLOT dropped: the primary keeps no WAL for this replica."
  fi
}

start() {
  if status; then
    echo "The replica is running on port $REPLICA_PORT."
    return
  fi
  local bin
  bin=$(bindir)
  if [ ! -f "$DATA/standby.signal" ] || ! slot_exists; then
    check_primary
    drop_slot
    rm -rf "$DATA"
    mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    echo "Copying the primary (pg_basebackup) into $DATA"
    as_pg "$bin/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -D "$DATA" \
      -R -X stream -c fast --no-password -C -S "$REPLICA_SLOT"
    # Debian keeps the configuration outside the data directory: the standby gets its own.
    # Hot standby needs these at least as high as on the primary.
    as_pg tee "$DATA/postgresql.conf" >/dev/null <<CONF
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
hot_standby = on
max_connections = $(setting max_connections)
max_worker_processes = $(setting max_worker_processes)
max_wal_senders = $(setting max_wal_senders)
max_prepared_transactions = $(setting max_prepared_transactions)
max_locks_per_transaction = $(setting max_locks_per_transaction)
shared_buffers = 128MB
hba_file = '$DATA/pg_hba.conf'
ident_file = '$DATA/pg_ident.conf'
CONF
    printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' | as_pg tee "$DATA/pg_hba.conf" >/dev/null
    as_pg touch "$DATA/pg_ident.conf"
  fi
  as_pg "$bin/pg_ctl" -D "$DATA" -l "$DIR/replica.log" -w -t 120 start >/dev/null
  local recovering
  recovering=$(psql -X -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -d postgres -Atc "select pg_is_in_recovery()")
  [ "$recovering" = t ] || { echo "Port $REPLICA_PORT is not a standby." >&2; exit 1; }
  echo "Streaming replica running on 127.0.0.1:$REPLICA_PORT (log: $DIR/replica.log)."
  echo "Use it with DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:$REPLICA_PORT/<database>"
}

stop() {
  if status; then
    as_pg "$(bindir)/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    echo "Replica stopped."
  else
    echo "The replica is not running."
  fi
  drop_slot
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) if status; then echo running; else echo stopped; exit 3; fi ;;
  clean) stop; rm -rf "$DIR"; echo "Removed $DIR." ;;
  *) echo "usage: $0 start|stop|status|clean" >&2; exit 2 ;;
esac
