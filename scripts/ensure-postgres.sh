#!/usr/bin/env bash
# Make sure the PostgreSQL server of a postgres:// URL is up and its database exists.
# Usage: scripts/ensure-postgres.sh postgres://user@host:port/name  (other URLs: no-op)
set -euo pipefail
url="${1:-}"
case "$url" in
  postgres://*|postgresql://*) ;;
  *) exit 0 ;;
esac
rest="${url#*://}"
userhost="${rest%%/*}"
db="${rest#*/}"
db="${db%%\?*}"
user="${userhost%%@*}"
hostport="${userhost#*@}"
host="${hostport%%:*}"
port="${hostport##*:}"
[ "$port" = "$hostport" ] && port=5432
if ! pg_isready -h "$host" -p "$port" -q; then
  if [ "$host" = "127.0.0.1" ] || [ "$host" = "localhost" ]; then
    echo "Starting the local PostgreSQL server"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
    for _ in $(seq 1 30); do pg_isready -h "$host" -p "$port" -q && break; sleep 1; done
  fi
  pg_isready -h "$host" -p "$port" -q || { echo "PostgreSQL at $host:$port is not reachable." >&2; exit 1; }
fi
if ! psql -h "$host" -p "$port" -U "$user" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  echo "Creating database $db"
  createdb -h "$host" -p "$port" -U "$user" "$db"
fi
