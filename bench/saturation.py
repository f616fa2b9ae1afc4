"""Saturated requests per second over gunicorn with production settings, for ``bench.run``.

One production-shaped server (gunicorn.conf.py as ``make serve-prod`` starts it: gthread
workers, HTTPS with a self-signed certificate for 127.0.0.1, ``bench.prodsettings``: DEBUG
off, secure cookies, the second factor required, the database cache) on a free loopback port,
on the benchmark's database. A short, bounded load of a fixed number of keep-alive
connections, first on the bare signed-in page and then on a case page, each for a fixed
number of seconds: with ``wrk`` when it is installed (Debian package ``wrk``), else with a
threaded Python client (which takes more of the machine's CPU itself). Only 127.0.0.1 is
ever targeted; the server is stopped when the load ends, whatever happens.

The requests are a caseworker's, in a session made for the run in the benchmark's process (the
two processes share the database and the secret key). Production requires a second factor
of every role: the caseworker is given a TOTP authenticator for the run, removed with the
session afterwards.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


@dataclass
class Load:
    path: str
    requests: int
    seconds: float
    failed: int  # answers other than 200, and errors
    tool: str

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The address of the database this process uses (the test database under pytest)."""
    from django.db import connection

    d = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("the saturation measure needs PostgreSQL (several processes)")
    auth = d["USER"] + (f":{d['PASSWORD']}" if d.get("PASSWORD") else "")
    return f"postgres://{auth}@{d['HOST'] or HOST}:{d['PORT'] or 5432}/{d['NAME']}"


def _context() -> ssl.SSLContext:
    # Our own self-signed certificate on 127.0.0.1, made for this run.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _get(port: int, path: str, cookie: str) -> tuple[int, bytes]:
    conn = http.client.HTTPSConnection(HOST, port, timeout=30, context=_context())
    try:
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@contextmanager
def production_server(workdir: Path, env_extra: dict[str, str] | None = None) -> Iterator[int]:
    """gunicorn with ``bench.prodsettings`` on a free port; yields the port."""
    from victimsupport.prodenv import write_self_signed_cert

    cert, key = workdir / "cert.pem", workdir / "key.pem"
    write_self_signed_cert(cert, key)
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.prodsettings",
        "BENCH_DATABASE_URL": database_url(),
        "BENCH_INHERIT_KEYS": "1",  # this process's keys, in its environment
        "GUNICORN_BIND": f"{HOST}:{port}",
        "GUNICORN_CERTFILE": str(cert),
        "GUNICORN_KEYFILE": str(key),
        "PYTHONPATH": str(ROOT),
        **(env_extra or {}),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    log = (workdir / "gunicorn.log").open("wb")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped as one below
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    "gunicorn stopped at start:\n" + (workdir / "gunicorn.log").read_text()[-2000:]
                )
            try:
                if _get(port, "/healthz", "")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 60 s")
            time.sleep(0.3)
        yield port
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


@contextmanager
def signed_in_cookie(user: Any) -> Iterator[str]:
    """A session cookie of ``user`` valid on the production-shaped server, with the second
    factor production requires; both removed afterwards."""
    from allauth.mfa.models import Authenticator
    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.test import Client

    authenticator = None
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        authenticator = Authenticator.objects.create(
            user=user, type=Authenticator.Type.TOTP, data={"secret": "bench-only"}
        )
    client = Client()
    client.force_login(user)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    try:
        yield f"{settings.SESSION_COOKIE_NAME}={session_key}"
    finally:
        Session.objects.filter(session_key=session_key).delete()
        if authenticator is not None:
            authenticator.delete()


def _wrk(port: int, path: str, cookie: str, seconds: int, connections: int) -> Load:
    out = subprocess.run(  # noqa: S603 - wrk on our own loopback server
        [
            shutil.which("wrk") or "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-H",
            f"Cookie: {cookie}",
            f"https://{HOST}:{port}{path}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if total is None:
        raise RuntimeError(f"wrk said:\n{out}")
    elapsed = float(total.group(2)) / (1000 if total.group(3) == "ms" else 1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = (int(bad.group(1)) if bad else 0) + (
        sum(int(g) for g in errors.groups()) if errors else 0
    )
    return Load(path, int(total.group(1)), elapsed, failed, "wrk")


def _python_client(port: int, path: str, cookie: str, seconds: int, connections: int) -> Load:
    counts = [0] * connections
    failures = [0] * connections
    deadline = time.monotonic() + seconds

    def run(i: int) -> None:
        conn = http.client.HTTPSConnection(HOST, port, timeout=30, context=_context())
        while time.monotonic() < deadline:
            try:
                conn.request("GET", path, headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    counts[i] += 1
                else:
                    failures[i] += 1
            except (OSError, http.client.HTTPException):
                failures[i] += 1
                conn.close()
                conn = http.client.HTTPSConnection(HOST, port, timeout=30, context=_context())
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Load(path, sum(counts), time.monotonic() - started, sum(failures), "python")


def saturate(*, user: Any, paths: list[str], seconds: int, connections: int) -> list[Load]:
    """Each path loaded in turn for ``seconds`` on one production-shaped server."""
    load = _wrk if shutil.which("wrk") else _python_client
    with (
        tempfile.TemporaryDirectory(prefix="bench-saturation-") as tmp,
        production_server(Path(tmp)) as port,
        signed_in_cookie(user) as cookie,
    ):
        for path in paths:
            status, _body = _get(port, path, cookie)
            if status != 200:
                raise RuntimeError(f"{path} answered {status} on the production server")
        results = []
        for path in paths:
            # Warm every worker (its first requests load templates, translations, keys).
            load(port, path, cookie, max(2, seconds // 3), connections)
            results.append(load(port, path, cookie, seconds, connections))
        return results
