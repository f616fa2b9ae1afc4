"""A large case file exported in the browser: the caseworker asks for the PDF, watches the
background worker's progress on the status page, and downloads it when it is ready."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cases.models import Case
from demo.seed import seed_demo
from tests.browser.conftest import problems, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=io.StringIO())


def test_large_export_shows_progress_then_downloads(page, settings, shot):
    settings.PDF_BACKGROUND_THRESHOLD = 3  # every demo case counts as large
    passwords = {a.email: a.password for a in seed_demo()}
    case = Case.objects.filter(team__name="North team").order_by("opened_at").first()
    signed_in(page, "caseworker@demo.example", passwords["caseworker@demo.example"])
    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("button", name="Export as PDF").click()

    # The status page: a labelled progress bar and a stage said politely, no worker yet.
    page.get_by_role("heading", name="Case file PDF").wait_for()
    assert "/exports/" in page.url and case.victim.family_name not in page.url
    progress = page.get_by_label("Progress")
    assert progress.get_attribute("value") == "0"
    assert page.get_by_role("status").inner_text().startswith("Waiting")
    assert page.get_by_role("link", name="Download the PDF").count() == 0
    assert problems(page) == []
    shot(page, "export-1-waiting")

    run_worker()
    # The page polls and updates itself, without a reload by the user.
    download_link = page.get_by_role("link", name="Download the PDF")
    download_link.wait_for()
    assert page.get_by_role("status").inner_text().startswith("Ready")
    assert progress.get_attribute("value") == "100"
    shot(page, "export-2-ready")
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename == "case-file.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
