"""Faults of the database itself, on a PostgreSQL of the tests' own (private_pg.py): restarted
under load, and its disk full while an export is stored. Real processes throughout: the
private server, gunicorn, the background worker, and a client loop."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from bench.loadtest.common import Client
from tests.faults.conftest import SETTINGS, Worker, worker_pids
from tests.faults.private_pg import PrivatePostgres, binaries
from tests.servers import ROOT, clean_env, start_servers

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(binaries() is None, reason="no PostgreSQL binaries to start a private one"),
]

DATABASE = "vs_faults"


def django_env(pg: PrivatePostgres, **extra: str) -> dict[str, str]:
    return clean_env(DJANGO_SETTINGS_MODULE=SETTINGS, DATABASE_URL=pg.url(DATABASE), **extra)


def in_django(pg: PrivatePostgres, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "tests.faults.private_db", *args],
        cwd=ROOT,
        env=django_env(pg),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def verify_audit(pg: PrivatePostgres) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "verify_audit"],
        cwd=ROOT,
        env=django_env(pg),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def pg():
    server = PrivatePostgres()
    try:
        server.start()
        server.psql(f"CREATE DATABASE {DATABASE}")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--run-syncdb", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=django_env(server),
            check=True,
            timeout=600,
        )
        server.seeded = json.loads(in_django(server, "seed"))
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="module")
def server(pg, tmp_path_factory):
    # Connections kept between requests, as a busy production server would: the restart
    # leaves every one of them dead, and the health check must notice before reuse.
    env = django_env(
        pg,
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="4",
        DATABASE_CONN_MAX_AGE="60",
        PDF_BACKGROUND_THRESHOLD="0",
    )
    (one,) = start_servers(1, env, tmp_path_factory.mktemp("server"))
    yield one
    one.stop()


def signed_in(pg: PrivatePostgres, server) -> Client:
    browser = Client(server.url)
    response = browser.login(pg.seeded["email"], pg.seeded["password"])
    assert response.status == 302 and not response.location.startswith("/accounts/")
    return browser


@pytest.mark.faults_slow
def test_postgresql_restarted_under_load_fails_cleanly_and_recovers(pg, server):
    browser = signed_in(pg, server)
    case = pg.seeded["case"]
    token = browser.csrf_token(f"/cases/{case}/")
    workers_before = worker_pids(server)
    results: list[dict] = []
    lock = threading.Lock()
    stop = threading.Event()
    restarted_at: list[float] = []

    def loop() -> None:
        client = Client(server.url, cookies=dict(browser.cookies), timeout=30)
        while not stop.is_set():
            marker = f"load-note {uuid.uuid4()}"
            for kind in ("read", "write"):
                started = time.monotonic()
                try:
                    if kind == "read":
                        response = client.get(f"/cases/{case}/")
                    else:
                        response = client.post(
                            f"/cases/{case}/notes/", {"body": marker, "csrfmiddlewaretoken": token}
                        )
                    status, text = response.status, response.text
                except OSError as exc:  # no answer at all: a failure too
                    status, text = 0, repr(exc)
                with lock:
                    results.append(
                        {
                            "kind": kind,
                            "status": status,
                            "text": text,
                            "started": started,
                            "marker": marker if kind == "write" else None,
                        }
                    )
            time.sleep(0.02)

    threads = [threading.Thread(target=loop) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(3)
        pg.restart()  # pg_ctl restart -m fast: every connection is cut
        restarted_at.append(time.monotonic())
        time.sleep(6)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    statuses = [r["status"] for r in results]
    unavailable = [r for r in results if r["status"] == 503]
    # Every answer is a success or the clean 503 page: no 500, no traceback, no dropped
    # connection.
    assert set(statuses) <= {200, 302, 503}, sorted(set(statuses))
    for answer in unavailable:
        assert "Not available for a moment" in answer["text"]
        assert "Traceback" not in answer["text"] and "psycopg" not in answer["text"]
    # It recovered by itself: everything sent after the restart finished succeeded (the
    # kept connections were checked before reuse), and no worker was restarted.
    after = [r for r in results if r["started"] > restarted_at[0] + 0.5]
    assert len(after) > 20
    assert all(r["status"] in {200, 302} for r in after), [r["status"] for r in after]
    assert worker_pids(server) == workers_before
    # Nothing half-written: each note acknowledged is stored, nothing stored that was not sent,
    # and the audit chain is whole.
    sent = {r["marker"] for r in results if r["kind"] == "write"}
    acknowledged = {r["marker"] for r in results if r["kind"] == "write" and r["status"] == 302}
    stored = set(json.loads(in_django(pg, "notes", case)))
    assert acknowledged <= stored
    assert {s for s in stored if s.startswith("load-note ")} <= sent
    audit = verify_audit(pg)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    print(
        f"\n{len(results)} requests, {len(unavailable)} answered 503 during the restart, "
        f"{len(after)} after it, all successful; {len(acknowledged)} notes acknowledged, "
        f"{len(stored & sent)} stored"
    )


def _mount_tmpfs(folder: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


@pytest.mark.faults_slow
def test_disk_full_while_an_export_is_stored_fails_it_cleanly(pg, server, tmp_path):
    """The case-file PDF is stored (encrypted) in the database: the export table is moved to a
    tablespace on a real 1 MB filesystem, which is then filled. The job fails with the fixed
    message, no PDF is kept, nothing is shown as ready; with space again, trying again works."""
    tiny = pg.root / "tiny"
    tiny.mkdir()
    if not _mount_tmpfs(tiny, "1M"):
        pytest.skip("mounting a small tmpfs needs root (mount -t tmpfs)")
    worker = None
    try:
        shutil.chown(tiny, "postgres")
        pg.psql(f"CREATE TABLESPACE tiny LOCATION '{tiny}'")
        pg.psql("ALTER TABLE cases_exportjob SET TABLESPACE tiny", DATABASE)
        # Fill the disk, then give back a little: room for a job's row, not for its PDF.
        filler = tiny / "filler"
        subprocess.run(
            ["dd", "if=/dev/zero", f"of={filler}", "bs=4k"], capture_output=True, check=False
        )
        with filler.open("r+b") as handle:
            handle.truncate(max(0, filler.stat().st_size - 24 * 1024))

        worker = Worker(django_env(pg), tmp_path / "worker.log")
        case = pg.seeded["case"]
        job_id = in_django(pg, "export", case)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job = json.loads(in_django(pg, "job", job_id))
            if job["status"] in {"done", "failed"}:
                break
            time.sleep(0.5)
        assert job == {"status": "failed", "failure": "error", "has_pdf": False}, job
        log = (tmp_path / "worker.log").read_text()
        assert "DiskFull" in log or "OperationalError" in log

        # The requester's page: the fixed message and a way to try again, no download.
        browser = signed_in(pg, server)
        page = browser.get(f"/cases/{case}/exports/{job_id}/")
        assert page.status == 200
        assert "could not be produced" in page.text
        assert "Download the PDF" not in page.text
        assert browser.get(f"/cases/{case}/exports/{job_id}/download/").status != 200

        # Space again: trying again makes the PDF.
        filler.unlink()
        again = in_django(pg, "export", case)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job = json.loads(in_django(pg, "job", again))
            if job["status"] in {"done", "failed"}:
                break
            time.sleep(0.5)
        assert job == {"status": "done", "failure": "", "has_pdf": True}, job
        audit = verify_audit(pg)
        assert audit.returncode == 0, audit.stdout + audit.stderr
    finally:
        if worker is not None:
            worker.stop()
        pg.psql("ALTER TABLE cases_exportjob SET TABLESPACE pg_default", DATABASE)
        pg.psql("DROP TABLESPACE IF EXISTS tiny")
        subprocess.run(["umount", str(tiny)], check=False)
