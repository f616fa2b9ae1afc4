"""Make sure the PostgreSQL server of a database URL is up and the database exists.

Usage: python scripts/ensure_postgres.py postgres://user[:password]@host[:port]/name
Other URLs (sqlite://...) are left alone. The URL goes to libpq as it is, so every form it
accepts works (no user, a password, an IPv6 host); the password is never printed. A local
server that is down is started with pg_ctlcluster where that exists (Debian's packaging).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import time
from urllib.parse import urlsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1", "[::1]"}


def _connect(conninfo: str) -> psycopg.Connection:
    return psycopg.connect(conninfo, autocommit=True, connect_timeout=5)


def _start_local_server() -> bool:
    """Start every installed cluster named main (there is normally one); True if tried."""
    if shutil.which("pg_ctlcluster") is None:
        return False
    for version_dir in sorted(glob.glob("/etc/postgresql/*/main")):
        version = version_dir.split("/")[3]
        print(f"Starting the local PostgreSQL {version} server")
        subprocess.run(  # noqa: S603
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],  # noqa: S607
            check=False,
        )
    return True


def ensure(url: str) -> int:
    if urlsplit(url).scheme not in {"postgres", "postgresql"}:
        return 0
    params = conninfo_to_dict(url)
    name = params.get("dbname")
    if not name:
        print("The database URL names no database.", file=sys.stderr)
        return 1
    maintenance = make_conninfo(url, dbname="postgres")
    try:
        connection = _connect(maintenance)
    except psycopg.OperationalError:
        if params.get("host", "") not in LOCAL_HOSTS or not _start_local_server():
            print(
                f"PostgreSQL at {params.get('host', 'the local socket')} is not reachable. "
                "Start it, or use SQLite (for example BENCH_DATABASE_URL=sqlite:///...).",
                file=sys.stderr,
            )
            return 1
        for _ in range(30):
            try:
                connection = _connect(maintenance)
                break
            except psycopg.OperationalError:
                time.sleep(1)
        else:
            where = f"{params.get('host', 'the local socket')}:{params.get('port', 5432)}"
            print(f"PostgreSQL at {where} did not answer after starting.", file=sys.stderr)
            return 1
    with connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            print(f"Creating database {name}")
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        sys.exit(2)
    sys.exit(ensure(sys.argv[1] or os.environ.get("DATABASE_URL", "")))
