"""Pages through the app against the databases it is configured with: a streaming replica
(DATABASE_REPLICA_URL) and/or PgBouncer in transaction mode (DATABASE_URL on its port with
DATABASE_POOLER=pgbouncer-transaction). `make replica-smoke` and `make pgbouncer-smoke` run it.

As a supervisor of the seeded demo data (`manage.py seed_demo`): the dashboards (reads marked
for the replica), the case list and a case page, the audit log's CSV export (the longest
read), a write (a new site) and the dashboard again (now read from the primary: the person
just changed something), then verify_audit. Prints, per page, its status and how many
queries went to the primary and to the replica; exits non-zero on any failure.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "victimsupport.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from cases.models import Case  # noqa: E402
from victimsupport.access import Role  # noqa: E402
from victimsupport.accounts.models import User  # noqa: E402
from victimsupport.audit.chain import verify_chain  # noqa: E402


def _catch_up(timeout: float = 60) -> float:
    """Wait until the replica has replayed everything the primary had written (the seeding
    just before); return how long that took."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return time.monotonic() - started
        time.sleep(0.2)
    raise SystemExit(f"The replica has not caught up with the primary in {timeout:.0f} s.")


def main() -> int:
    aliases = ["default", *(["replica"] if settings.READ_REPLICA_ALIAS else [])]
    primary = connections["default"].settings_dict
    print(
        f"primary: {primary['HOST']}:{primary['PORT']}/{primary['NAME']}"
        f" (pooler: {settings.DATABASE_POOLER or 'none'})"
    )
    if settings.READ_REPLICA_ALIAS:
        replica = connections["replica"].settings_dict
        print(f"replica: {replica['HOST']}:{replica['PORT']}/{replica['NAME']}")
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            print(f"  replica is a standby: {cursor.fetchone()[0]}")
        print(f"  caught up with the primary in {_catch_up():.2f} s")
    sofia = User.objects.filter(groups__name=Role.SUPERVISOR, is_active=True).first()
    if sofia is None:
        print("No supervisor: seed the demo data first (manage.py seed_demo).", file=sys.stderr)
        return 1
    team = sofia.teams.first()
    case = Case.objects.filter(team=team).order_by("opened_at").first()
    client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])
    client.force_login(sofia)
    failures = 0

    def visit(label: str, url: str, *, method: str = "get", data: dict | None = None) -> None:
        nonlocal failures
        captures = {a: CaptureQueriesContext(connections[a]) for a in aliases}
        for capture in captures.values():
            capture.__enter__()
        try:
            response = getattr(client, method)(url, data or {})
            if response.streaming:
                body = b"".join(response.streaming_content)
                lines = body.count(b"\n")
                label = f"{label} ({lines} lines)"
        finally:
            for capture in captures.values():
                capture.__exit__(None, None, None)
        ok = response.status_code in (200, 302)
        failures += not ok
        counts = ", ".join(f"{a}: {len(c.captured_queries)}" for a, c in captures.items())
        print(f"  {'ok ' if ok else 'BAD'} {response.status_code} {label:<42} queries {counts}")

    print(f"As {sofia.email}:")
    visit("risk dashboard", reverse("risk:dashboard"))
    visit("network figures", reverse("referrals:dashboard"))
    visit("premises dashboard", reverse("premises:dashboard"))
    visit("case list", reverse("cases:list"))
    if case is not None:
        visit("case page", reverse("cases:detail", args=[case.pk]))
    auditor = next(
        (u for u in User.objects.filter(is_active=True) if u.has_perm("audit.view_auditentry")),
        None,
    )
    if auditor is not None:
        print(f"As {auditor.email}:")
        client.force_login(auditor)
        visit("audit log export", reverse("audit_log_export"))
        print(f"As {sofia.email}:")
        client.force_login(sofia)
    visit(
        "a write: a new site",
        reverse("premises:site_new"),
        method="post",
        data={
            "team": team.pk,
            "name": "Smoke test office",
            "kind": "office",
            "address": "1 Test Street",
            "opening": "appointment_only",
            "status": "open",
        },
    )
    visit("risk dashboard, just after the write", reverse("risk:dashboard"))
    report = verify_chain()
    print(
        f"verify_audit: {'intact' if report.ok else 'FAILED: ' + report.problem}, "
        f"{report.checked} entries"
    )
    failures += not report.ok
    print("passed" if not failures else f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
