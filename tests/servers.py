"""Real gunicorn servers for tests: started on a free port, in a process group of their own,
on the test database (or another, by URL), and stopped with their workers. Used by
tests/core/test_scaleout.py and the fault tests (tests/faults/)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from bench.loadtest.common import Client

ROOT = Path(__file__).resolve().parents[1]
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
START_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """The URL of the database this test process uses (the test database, once set up)."""
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{settings_dict['NAME']}"
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


def clean_env(**extra: str) -> dict[str, str]:
    prefixes = (
        *("DJANGO", "GUNICORN_", "ENV_FILE", "DATABASE_URL", "CACHE_URL", "ALLOWED_HOSTS"),
        *("FIELD_", "BLIND_", "AUDIT_", "SECRET", "DEBUG", "MFA_", "SECURE_", "TRUST_"),
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(extra)
    return env


class Server:
    """One gunicorn master and its workers, in a process group of their own."""

    def __init__(self, env: dict[str, str], log: Path, *, scheme: str = "http") -> None:
        self.port = free_port()
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF)],
                cwd=ROOT,
                env={**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, cafile: str | None = None) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited ({self.process.returncode}):\n{self.log_text()}")
            try:
                if Client(self.url, cafile=cafile, timeout=2).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        pytest.fail(f"gunicorn not ready within {START_TIMEOUT} s:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def start_servers(
    count: int,
    env: dict[str, str],
    log_dir: Path,
    *,
    scheme: str = "http",
    cafile: str | None = None,
) -> list[Server]:
    """Start ``count`` servers at once, then wait for each: stop them all if one fails."""
    servers: list[Server] = []
    try:
        for number in range(count):
            servers.append(Server(env, log_dir / f"server-{number}.log", scheme=scheme))
        for server in servers:
            server.wait_ready(cafile)
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers
