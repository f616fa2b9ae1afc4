"""CPU time of the case page against the bare signed-in page, in one process.

Signed in as the demo caseworker (`seed_demo`, made here on an empty database), the demo case
with the most notes is fetched through Django's test client, alternating blocks of N requests
of each page (after a warm-up); each page's CPU time (time.process_time) is the lower of its
two blocks, and the ratio is the case page's over the bare page's. The database is the one
DATABASE_URL names, with the test settings' fixed keys: never a real one.

    DATABASE_URL=sqlite:////tmp/casepage.sqlite3 .venv/bin/python scripts/case_page_cpu.py
    CASE_PAGE_N=200 CASE_PAGE_HTML=/tmp/page.html ...   # more requests; keep the page's HTML
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from bench.urls import BARE_PATH  # noqa: E402
from cases.models import Case  # noqa: E402
from victimsupport.accounts.models import User  # noqa: E402

N = int(os.environ.get("CASE_PAGE_N", "100"))
CASEWORKER = "caseworker@demo.example"


def cpu_ms(client: Client, url: str) -> float:
    start = time.process_time()
    for _ in range(N):
        client.get(url)
    return (time.process_time() - start) / N * 1000


def main() -> None:
    call_command("migrate", verbosity=0, run_syncdb=True)
    if not User.objects.filter(email=CASEWORKER).exists():
        from demo.seed import seed_demo

        seed_demo()
    with override_settings(MFA_ENFORCE=False, ROOT_URLCONF="bench.urls", DEBUG=False):
        user = User.objects.get(email=CASEWORKER)
        client = Client()
        client.force_login(user)
        case = (
            Case.objects.filter(team__members=user)
            .annotate(n=Count("notes", distinct=True))
            .order_by("-n", "pk")
            .first()
        )
        url = f"/cases/{case.pk}/"
        page = client.get(url)
        if page.status_code != 200:
            sys.exit(f"The case page answered {page.status_code}.")
        if os.environ.get("CASE_PAGE_HTML"):
            Path(os.environ["CASE_PAGE_HTML"]).write_bytes(page.content)
        for _ in range(10):
            client.get(BARE_PATH)
            client.get(url)
        bare = [cpu_ms(client, BARE_PATH)]
        case_page = [cpu_ms(client, url), cpu_ms(client, url)]
        bare.append(cpu_ms(client, BARE_PATH))
        print(
            f"bare page {min(bare):.2f} ms CPU, case page {min(case_page):.2f} ms CPU, "
            f"ratio {min(case_page) / min(bare):.2f} ({N} requests a block)"
        )


if __name__ == "__main__":
    main()
