"""The benchmark harness runs end to end on a small database and writes what it promises."""

from __future__ import annotations

import json

import pytest

from bench import run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _as_bench_settings(settings):
    settings.MFA_ENFORCE = False  # as bench/settings.py: force_login has no second factor


def test_bench_runs_and_writes_results(tmp_path, capsys):
    out = tmp_path / "results.json"
    parts = "pages,intake,crypto,access,audit,referrals"
    status = run.main(["--cases", "60", "--reps", "2", "--only", parts, "--output", str(out)])
    assert status == 0
    rows = json.loads(out.read_text())
    names = [r["name"] for r in rows]
    for expected in (
        "case list, page 1",
        "case list, deep page",
        "case search by blind index",
        "case detail",
        "supervisor dashboard",
        "intake submit: finish",
        "intake submit: whole flow",
        "encrypted vs plaintext save+load",
        "permission-filtered vs unfiltered case list",
        "audited vs unaudited request: case detail",
        "referral inbox",
        "referral send",
    ):
        assert expected in names
    for row in rows:
        assert set(row) == {"name", "median", "p95", "unit", "budget", "ok"}
        assert row["unit"] in {"ms", "ratio"}
        assert row["median"] > 0 and row["p95"] > 0
        assert isinstance(row["ok"], bool)
        if row["budget"] is not None:
            limit = row["median"] if row["unit"] == "ratio" else row["p95"]
            assert row["ok"] == (limit < row["budget"])
    table = capsys.readouterr().out
    assert "case detail" in table and "median" in table
    # The twin tables of the encryption ratio are gone again.
    from django.db import connection

    assert "bench_plain_person" not in connection.introspection.table_names()


def test_pdf_bench_compares_the_app_with_weasyprint_alone():
    run.ensure_cases(20)
    s = run.subjects(1)
    results = run.bench_pdf(s, reps=1, pages_wanted=(2,))
    names = [r.name for r in results]
    assert names == [
        "PDF 2 pages: through the app",
        "PDF 2 pages: WeasyPrint alone",
        "PDF 2 pages: app vs WeasyPrint alone",
    ]
    assert results[0].note == "2 pages"  # calibrated to the page count asked for
    assert results[2].unit == "ratio" and results[2].budget == 1.2


def test_strict_mode_fails_on_a_missed_budget(monkeypatch, tmp_path):
    monkeypatch.setattr(run, "bench_encryption", lambda reps: run.ratio("slow", [3.0], [1.0], 1.3))
    args = ["--cases", "15", "--only", "crypto", "--output", str(tmp_path / "r.json")]
    assert run.main(args) == 0
    assert run.main([*args, "--strict"]) == 1
    assert json.loads((tmp_path / "r.json").read_text())[0]["ok"] is False


def test_percentile_and_ratio():
    samples = [float(i) for i in range(1, 101)]
    assert run.p95(samples) == 95.0
    r = run.ratio("x", [2.0, 2.0, 4.0], [1.0, 1.0, 2.0], 1.5)
    assert (r.median, r.p95, r.ok) == (2.0, 2.0, False)


def test_the_data_protection_bench_measures_the_copy_and_the_erasure(tmp_path, monkeypatch):
    from dataprotection.models import AccessRequest, Erasure

    monkeypatch.setattr(run, "COPY_ENTRIES", 30)  # the real run uses 500
    out = tmp_path / "results.json"
    run.ensure_cases(30)  # the demo, with its own requests and erasure due
    before = (AccessRequest.objects.count(), Erasure.objects.count())
    status = run.main(
        ["--cases", "30", "--reps", "2", "--only", "dataprotection", "--output", str(out)]
    )
    assert status == 0
    rows = {r["name"]: r for r in json.loads(out.read_text())}
    assert set(rows) == {
        "copy of a 30-entry file: draft made",
        "copy of a 30-entry file: draft PDF",
        "copy of a 30-entry file: final PDF",
        "erasure of one case",
    }
    assert rows["copy of a 30-entry file: draft PDF"]["budget"] == 10_000
    assert rows["erasure of one case"]["budget"] == 2_000
    # Everything it made was rolled back: no request, no erased case's certificate left.
    assert (AccessRequest.objects.count(), Erasure.objects.count()) == before
