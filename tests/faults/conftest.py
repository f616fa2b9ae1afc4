"""Real processes for the fault tests: gunicorn servers and the background worker, with the
test-only pauses of hooks.py, on the test database or on a private PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.servers import ROOT, Server, clean_env, database_url, start_servers

SETTINGS = "tests.faults.server_settings"


def pytest_collection_modifyitems(config, items):
    # Faults that need minutes run with `make faults` (FAULTS_SLOW=1), not in the normal suite.
    if os.environ.get("FAULTS_SLOW"):
        return
    skip = pytest.mark.skip(reason="needs minutes: make faults")
    for item in items:
        if "faults_slow" in item.keywords:
            item.add_marker(skip)


class Pauses:
    """The arm, reached and release files of hooks.py, in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(exist_ok=True)

    def arm(self, point: str) -> None:
        (self.folder / f"{point}.reached").unlink(missing_ok=True)
        (self.folder / f"{point}.arm").touch()

    def wait_reached(self, point: str, timeout: float = 30) -> int:
        """The pid of the process paused at ``point``."""
        reached = self.folder / f"{point}.reached"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if reached.exists() and reached.read_text():
                return int(reached.read_text())
            time.sleep(0.02)
        raise AssertionError(f"no process reached {point} within {timeout} s")


@pytest.fixture
def pauses(tmp_path) -> Pauses:
    return Pauses(tmp_path / "pauses")


def server_env(url: str, pauses: Pauses, **extra: str) -> dict[str, str]:
    return clean_env(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        DATABASE_URL=url,
        FAULT_DIR=str(pauses.folder),
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="4",
        **extra,
    )


@pytest.fixture
def fault_server(transactional_db, tmp_path, pauses):
    """One gunicorn server (one worker process) on the test database, with the pauses."""
    from django.core.cache.backends.db import DatabaseCache
    from django.db import connection

    call_command("createcachetable", "django_cache", verbosity=0)
    DatabaseCache("django_cache", {}).clear()
    env = server_env(database_url(connection.settings_dict), pauses)
    (server,) = start_servers(1, env, tmp_path)
    yield server
    server.stop()


def worker_pids(server: Server) -> set[int]:
    """The gunicorn worker processes under ``server``'s master."""
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(server.process.pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return {int(p) for p in out.split()}


def kill_and_wait_for_new_worker(server: Server, pid: int, timeout: float = 30) -> int:
    """SIGKILL gunicorn worker ``pid``; return the pid of the worker the master starts instead."""
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = worker_pids(server) - {pid}
        if pids:
            server.wait_ready()
            return pids.pop()
        time.sleep(0.05)
    raise AssertionError(f"gunicorn started no new worker:\n{server.log_text()}")


class Worker:
    """``manage.py db_worker`` in a process group of its own."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "db_worker",
                    "--no-startup-delay",
                    "--no-reload",
                    "--interval",
                    "0.2",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
