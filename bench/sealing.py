"""Audit sealing under write load: several processes adding case notes at the same time.

Each writer is a process of its own with its own database connection. It adds notes through
the service (``note_add``: one transaction, the note's sealed "create" entry included), each
on a case of the team in turn, for a fixed time. Reported: sustained audited transactions
and audit entries per second over all writers, the p95 latency of one transaction, and the
chain checked afterwards over every entry written (no fork, no gap, every seal good).

The notes are committed (the chain is append-only: what is sealed stays), so run it on the
benchmark's database of fictional cases only. Alone, on a database already seeded::

    DJANGO_SETTINGS_MODULE=bench.settings BENCH_DATABASE_URL=postgres://.../db \
        python -m bench.sealing --writers 4,8 --seconds 10

The part ``sealing`` of ``bench.run`` is the same measure (``bench_sealing`` there).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import django

GOAL_PER_SECOND = 500
NOTE = "Called back; safety plan reviewed, no change."


def _writer(user_pk: int, case_ids: list[str], offset: int) -> int:
    """One writer process: say "ready", wait for "go", write notes until the time given
    after "go" has passed, then print what it did as one line of JSON."""
    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from cases.models import Case
    from cases.services import note_add
    from victimsupport.audit.context import acting_as

    user = get_user_model().objects.get(pk=user_pk)
    cases = list(Case.objects.filter(pk__in=case_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 0"
        )
        backend = cursor.fetchone()[0]
    print("ready", flush=True)
    seconds = float(sys.stdin.readline())
    cpu = (time.process_time(), _cpu_seconds(backend))
    latencies: list[float] = []
    errors = 0
    i = offset
    with acting_as(user):
        end = time.perf_counter() + seconds
        while (now := time.perf_counter()) < end:
            try:
                note_add(case=cases[i % len(cases)], actor=user, body=NOTE)
            except Exception as exc:
                errors += 1
                print(f"writer error: {exc!r}", file=sys.stderr, flush=True)
            latencies.append((time.perf_counter() - now) * 1000)
            i += 1
    spent = {
        "cpu_s": time.process_time() - cpu[0],
        "db_cpu_s": (_cpu_seconds(backend) - cpu[1]) if cpu[1] is not None else None,
    }
    print(json.dumps({"latencies": latencies, "errors": errors, **spent}), flush=True)
    return 0


def _cpu_seconds(pid: int) -> float | None:
    """CPU time of a local process (the writer's database backend), where it can be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _spawn(n: int, user_pk: int, case_ids: list[str]) -> list[subprocess.Popen]:
    cmd = [sys.executable, "-m", "bench.sealing", "--as-writer", str(user_pk)]
    env = {**os.environ, "BENCH_SEALING_CASES": ",".join(map(str, case_ids))}
    procs = []
    for k in range(n):
        procs.append(
            subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [*cmd, str(k * 7)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
                cwd=os.getcwd(),
            )
        )
    return procs


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(n: int, seconds: float, user_pk: int, case_ids: list[str]) -> dict[str, Any]:
    """``n`` writers for ``seconds``: rates, latencies and the chain check after them."""
    from victimsupport.audit import chain
    from victimsupport.audit.models import AuditEntry, ChainHead

    procs = _spawn(n, user_pk, case_ids)
    try:
        for p in procs:
            if p.stdout.readline().strip() != "ready":
                raise SystemExit("a sealing writer did not start")
        head = ChainHead.objects.filter(pk=1).first()
        before = (head.seq, head.seal) if head else (0, "")
        first_id = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        started = time.perf_counter()
        for p in procs:
            p.stdin.write(f"{seconds}\n")
            p.stdin.flush()
        outputs = [json.loads(p.stdout.readline()) for p in procs]
        elapsed = time.perf_counter() - started
    finally:
        for p in procs:
            p.wait(timeout=60)
    # Entries left pending by a batch are sealed before the check (and counted).
    chain.seal_pending()
    latencies = [ms for out in outputs for ms in out["latencies"]]
    transactions = len(latencies) - sum(out["errors"] for out in outputs)
    entries = AuditEntry.objects.filter(pk__gt=first_id).count()
    report = chain.verify_chain(since=before if before[0] else None)
    return {
        "writers": n,
        "seconds": round(elapsed, 2),
        "transactions": transactions,
        "errors": sum(out["errors"] for out in outputs),
        "entries": entries,
        "transactions_per_s": transactions / elapsed,
        "entries_per_s": entries / elapsed,
        "median_ms": statistics.median(latencies) if latencies else 0.0,
        "p95_ms": _p95(latencies) if latencies else 0.0,
        # CPU per transaction, in the writers and in their database backends: on a machine
        # of C cores the writes cannot go faster than C / (app + db CPU) whatever the locks.
        "app_cpu_ms": 1000 * sum(o["cpu_s"] for o in outputs) / max(1, transactions),
        "db_cpu_ms": (
            1000 * sum(o["db_cpu_s"] for o in outputs) / max(1, transactions)
            if all(o["db_cpu_s"] is not None for o in outputs)
            else None
        ),
        "chain_ok": report.ok,
        "chain_checked": report.checked,
        "chain_problem": report.problem,
    }


def _subjects_for_writers() -> tuple[int, list[str]]:
    """A caseworker of the busiest team and up to 200 of its cases."""
    from django.db.models import Count

    from cases.models import Case
    from victimsupport.access import Role
    from victimsupport.accounts.models import Team

    team = Team.objects.annotate(n=Count("cases")).order_by("-n", "pk").first()
    if team is None:
        raise SystemExit("no cases: seed the database first (seed_demo --cases 300)")
    worker = team.members.filter(is_active=True, groups__name=Role.CASEWORKER).order_by("pk")[0]
    ids = list(Case.objects.filter(team=team).order_by("pk").values_list("pk", flat=True)[:200])
    return worker.pk, [str(i) for i in ids]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", default="4,8", help="comma-separated writer counts")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--as-writer", nargs=2, metavar=("USER", "OFFSET"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    if args.as_writer:
        case_ids = os.environ["BENCH_SEALING_CASES"].split(",")
        return _writer(int(args.as_writer[0]), case_ids, int(args.as_writer[1]))
    django.setup()
    from django.db import connection

    user_pk, case_ids = _subjects_for_writers()
    load = os.getloadavg()
    print(f"Sealing on {connection.vendor}; load average before: {load[0]:.2f}")
    ok = True
    for n in (int(w) for w in args.writers.split(",")):
        m = measure(n, args.seconds, user_pk, case_ids)
        ok = ok and m["chain_ok"] and not m["errors"]
        print(
            f"{n} writers, {m['seconds']} s: {m['transactions_per_s']:.0f} transactions/s, "
            f"{m['entries_per_s']:.0f} entries/s; latency median {m['median_ms']:.1f} ms, "
            f"p95 {m['p95_ms']:.1f} ms; CPU per transaction {m['app_cpu_ms']:.2f} ms app + "
            f"{m['db_cpu_ms'] or 0:.2f} ms db backend; {m['errors']} errors; chain "
            + ("intact" if m["chain_ok"] else f"BROKEN: {m['chain_problem']}")
            + f" ({m['chain_checked']} entries checked)"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
