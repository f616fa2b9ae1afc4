"""The cost of one audited write, in one process: CPU per note and queries per note.

Rates measured with several writers move with whatever else the machine runs; the CPU one
process spends per write (``time.process_time``) and its number of queries hardly do. This
adds ``--notes`` notes through the service (``note_add``, as ``bench.sealing``'s writers do)
and reports the application's CPU per note, the database backend's CPU per note (read from
/proc for a local PostgreSQL), the queries per note by kind, and with ``--profile`` the
functions where the time goes. The notes are committed: run it on the benchmark's database
of fictional cases only::

    DJANGO_SETTINGS_MODULE=bench.settings BENCH_DATABASE_URL=postgres://.../db \
        python -m bench.write_cost --notes 300 [--profile]
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import re
import sys
import time

import django

NOTE = "Called back; safety plan reviewed, no change."


def _kind(sql: str) -> str:
    """A query's kind, to count them: SAVEPOINT, SELECT ... FOR UPDATE, INSERT INTO "table"."""
    sql = re.sub(r"^\d+ times: ", "", sql)  # executemany, as Django logs it
    words = sql.split(None, 1)
    verb = words[0].upper() if words else ""
    if verb in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK"):
        return verb
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.IGNORECASE)
    name = table.group(1) if table else "?"
    lock = " FOR UPDATE" if "FOR UPDATE" in sql.upper() else ""
    return f"{verb} {name}{lock}"


def measure(notes: int, *, profile: bool = False, top: int = 30) -> dict[str, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.sealing import _cpu_seconds, _subjects_for_writers
    from cases.models import Case
    from cases.services import note_add
    from victimsupport.accounts.models import User
    from victimsupport.audit.context import acting_as

    user_pk, case_ids = _subjects_for_writers()
    user = User.objects.get(pk=user_pk)
    cases = list(Case.objects.filter(pk__in=case_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 0"
        )
        backend = cursor.fetchone()[0]
    with acting_as(user):
        # Warm up: first-use caches (content types, keys, compiled SQL) are not what a
        # long-running server pays per write.
        for case in cases[:20]:
            note_add(case=case, actor=user, body=NOTE)

        with CaptureQueriesContext(connection) as queries:
            for i in range(min(notes, 5)):
                note_add(case=cases[i % len(cases)], actor=user, body=NOTE)
        kinds = collections.Counter(_kind(q["sql"]) for q in queries.captured_queries)
        counted = min(notes, 5)

        # CPU time, not wall: waiting for the database is not what is being cut here.
        profiler = cProfile.Profile(time.process_time) if profile else None
        db_before = _cpu_seconds(backend)
        started = time.process_time()
        wall = time.perf_counter()
        if profiler:
            profiler.enable()
        for i in range(notes):
            note_add(case=cases[i % len(cases)], actor=user, body=NOTE)
        if profiler:
            profiler.disable()
        cpu = time.process_time() - started
        wall = time.perf_counter() - wall
        db_after = _cpu_seconds(backend)
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
        # This project's own functions, and django-auditlog's, whatever their rank.
        stats.sort_stats("cumulative").print_stats(r"victimsupport|cases/|auditlog", top)
    return {
        "notes": notes,
        "app_cpu_ms": 1000 * cpu / notes,
        "db_cpu_ms": (
            1000 * (db_after - db_before) / notes
            if db_before is not None and db_after is not None
            else None
        ),
        "wall_ms": 1000 * wall / notes,
        "queries": len(queries.captured_queries) / counted,
        "kinds": {k: v / counted for k, v in sorted(kinds.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    from django.conf import settings

    m = measure(args.notes, profile=args.profile)
    profiled = " (under cProfile)" if args.profile else ""
    print(
        f"{m['notes']} notes (AUDIT_SEALING={settings.AUDIT_SEALING}), load average "
        f"{os.getloadavg()[0]:.2f}: app CPU {m['app_cpu_ms']:.2f} ms/note{profiled}"
    )
    print(
        f"database backend CPU {m['db_cpu_ms'] or 0:.2f} ms/note; wall {m['wall_ms']:.2f} ms/note"
    )
    print(f"queries per note: {m['queries']:g}")
    for kind, n in m["kinds"].items():
        print(f"  {n:g}  {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
