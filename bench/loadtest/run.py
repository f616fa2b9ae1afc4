"""Bounded load test of production-shaped app servers on this machine, with locust.

    python -m bench.loadtest.run [--servers N] [--users 20] [--run-time 60s] ...

(`make loadtest`, `make scaleout`). Steps:

1. Derive the production-shaped environment and TLS certificate (victimsupport.prodenv) from
   the development .env, into the git-ignored .prod-local/.
2. Refuse to go on if the database (DATABASE_URL, else the one in .env, else db.sqlite3) lacks
   migrations or the cache table; create or reset the load-test caseworker accounts
   (`manage.py loadtest_accounts`, development settings, same keys) and collect static files.
3. Start N gunicorn servers (gunicorn.conf.py, DJANGO_ENV=production, HTTPS) on ports 8001...,
   all on the same database. With two or more: check that a session and an uploaded document
   made on one server are usable on another (no state on local disk or in process memory).
4. Run locust headless for a fixed number of users and time, spread over the servers; print
   requests per second, median and 95th percentile, overall and per kind of request, and
   record them in bench/loadtest-results.json (git-ignored), under "1 server", "2 servers"...
5. With two or more servers, check that the login throttle's cache is shared too (after the
   load: the probe spends part of this address's failed-sign-in budget), then stop the servers.
6. Check that nothing was lost: every write the users recorded (notes, intakes, PDFs) is in
   the database (bench/loadtest/verify.py), and ``verify_audit`` finds the chain intact.

``--partners N`` adds N partner-organisation users (``manage.py loadtest_partners``) to the
``--users`` caseworkers; ``--worker`` runs one background worker (db_worker) beside the servers.
The national run (`make loadtest-national`): 50 caseworkers and 10 partner users, 10 minutes,
two servers and one worker.

Only loopback addresses are ever targeted. --host uses servers already running (for example
`make serve-prod`) instead of starting any.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.loadtest.common import (
    Check,
    Client,
    NotLoopback,
    check_login_throttle_shared,
    check_loopback_url,
    check_session_and_documents,
    read_accounts,
)

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
PROD_LOCAL = ROOT / ".prod-local"
RESULTS = ROOT / "bench" / "loadtest-results.json"
PROBE_STAMP = PROD_LOCAL / "last-throttle-probe"
# 30 sign-ins a minute are allowed from one network address (LOGIN_ATTEMPTS_PER_IP) for
# browsers that have not signed in before; the load test's users all come from 127.0.0.1, so
# their sign-ins are spread to stay well below that.
SIGN_INS_PER_MINUTE = 25
# The failed sign-in budget per network address is a minute long.
THROTTLE_WINDOW = 65


class RunError(Exception):
    pass


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.loadtest.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--servers", type=int, default=1, help="app servers to start (1-4)")
    parser.add_argument("--first-port", type=int, default=8001)
    parser.add_argument(
        "--host",
        action="append",
        default=[],
        help="use this running server instead of starting any (repeatable; loopback only)",
    )
    parser.add_argument("--users", type=int, default=20, help="caseworkers")
    parser.add_argument("--partners", type=int, default=0, help="partner-organisation users")
    parser.add_argument(
        "--worker", action="store_true", help="run one background worker beside the servers"
    )
    parser.add_argument("--spawn-rate", type=float, default=None, help="users started a second")
    parser.add_argument("--run-time", default="60s", help="locust run time, e.g. 60s or 2m")
    parser.add_argument("--wait", default="0.5,1.5", help="pause between actions, min,max s")
    parser.add_argument("--workers", type=int, help="gunicorn workers per server")
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker")
    parser.add_argument("--password-file", type=Path, default=PROD_LOCAL / "loadtest-passwords")
    parser.add_argument(
        "--partner-file", type=Path, default=PROD_LOCAL / "loadtest-partner-passwords"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--label", help='name of this run in the results file (default "1 server", "2 servers"...)'
    )
    args = parser.parse_args(argv)
    if not 1 <= args.servers <= 4:
        parser.error("--servers must be between 1 and 4.")
    if not 1 <= args.users <= 500:
        parser.error("--users must be between 1 and 500.")
    if not 0 <= args.partners <= 100:
        parser.error("--partners must be between 0 and 100.")
    try:
        args.host = [check_loopback_url(h) for h in args.host]
    except NotLoopback as exc:
        parser.error(str(exc))
    everyone = args.users + args.partners
    if args.spawn_rate is None:
        args.spawn_rate = 2.0 if everyone <= SIGN_INS_PER_MINUTE else SIGN_INS_PER_MINUTE / 60
    if everyone > SIGN_INS_PER_MINUTE and args.spawn_rate * 60 > SIGN_INS_PER_MINUTE:
        parser.error(
            f"More than {SIGN_INS_PER_MINUTE} users signing in within a minute from one address "
            "would meet the login rate limit: use --spawn-rate 0.4 or less."
        )
    return args


# --- Django management commands, as subprocesses --------------------------------------------


def django_env(*, production: bool, env_file: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["ENV_FILE"] = str(env_file)
    env["DJANGO_ENV"] = "production" if production else "development"
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def manage(*args: str, env: dict[str, str], check: bool = True) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if check and result.returncode != 0:
        raise RunError(f"manage.py {args[0]} failed:\n{result.stderr.strip() or result.stdout}")
    return result.stdout


def describe_database(env: dict[str, str]) -> dict[str, object]:
    code = (
        "import json; from django.db import connection; from cases.models import Case; "
        "print(json.dumps({'vendor': connection.vendor, "
        "'name': str(connection.settings_dict['NAME']), 'cases': Case.objects.count()}))"
    )
    return json.loads(manage("shell", "-c", code, env=env).strip().splitlines()[-1])


def prepare_database(prod: dict[str, str]) -> None:
    if subprocess.run(
        [sys.executable, "manage.py", "migrate", "--check"],
        cwd=ROOT,
        env=prod,
        capture_output=True,
        timeout=120,
        check=False,
    ).returncode:
        raise RunError(
            "The database has unapplied migrations. Migrate it first, e.g. "
            "`make serve-prod MIGRATE=1` or `manage.py migrate && manage.py createcachetable`, "
            "then `manage.py seed_demo`."
        )
    if manage("createcachetable", "--dry-run", "--verbosity", "0", env=prod).strip():
        raise RunError("The cache table is missing: run `manage.py createcachetable`.")


# --- app servers ------------------------------------------------------------------------------


def gunicorn_settings(env: dict[str, str]) -> dict[str, object]:
    saved = dict(os.environ)
    try:
        os.environ.update(env)
        conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {"workers": conf["workers"], "threads": conf["threads"]}


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@contextmanager
def background_worker(env: dict[str, str], log_dir: Path):
    """One ``manage.py db_worker`` (production settings) for the PDFs made in the background."""
    log_path = log_dir / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-reload"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    print(f"  background worker started (pid {process.pid}, log {log_path.relative_to(ROOT)})")
    try:
        yield process
    finally:
        stop(process)


@contextmanager
def app_server(port: int, env: dict[str, str], log_dir: Path, cafile: str):
    if not _port_free(port):
        raise RunError(f"Port {port} is in use: stop what listens there or use --first-port.")
    log_path = log_dir / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")],
            cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the workers stop with it
        )
    url = f"https://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process, log_path, cafile)
        print(f"  server {url} ready (pid {process.pid}, log {log_path.relative_to(ROOT)})")
        yield url
    finally:
        stop(process)


def wait_until_ready(url: str, process: subprocess.Popen, log: Path, cafile: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RunError(f"The server for {url} exited ({process.returncode}):\n{tail}")
        try:
            if Client(url, cafile=cafile, timeout=2).get("/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise RunError(f"The server for {url} was not ready within 60 s (see {log}).")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)  # the group this process leads: gunicorn's own
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


# --- locust -----------------------------------------------------------------------------------


def run_locust(args: argparse.Namespace, hosts: list[str], cafile: str | None, workdir: Path):
    prefix = workdir / "locust"
    env = dict(os.environ)
    env.update(
        LOADTEST_HOSTS=",".join(hosts),
        LOADTEST_PASSWORD_FILE=str(args.password_file),
        LOADTEST_WAIT=args.wait,
        LOADTEST_CA_FILE=cafile or "",
        LOADTEST_WRITES_FILE=str(workdir / "writes.jsonl"),
        LOADTEST_PARTNER_FILE=str(args.partner_file) if args.partners else "",
        LOADTEST_PARTNER_USERS=str(args.partners),
    )
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(args.users + args.partners),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        args.run_time,
        "--host",
        hosts[0],
        "--csv",
        str(prefix),
        "--only-summary",
        "--stop-timeout",
        "10",
        "--loglevel",
        "WARNING",
        "Caseworker",
        *(["PartnerUser"] if args.partners else []),
    ]
    print(
        f"Running locust: {args.users} caseworkers, {args.partners} partner users, "
        f"{args.spawn_rate:.2f}/s, {args.run_time}..."
    )
    result = subprocess.run(  # noqa: S603
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=3600
    )
    stats = prefix.with_name("locust_stats.csv")
    if not stats.is_file():
        raise RunError(f"locust produced no statistics:\n{result.stderr[-3000:]}")
    failures_csv = prefix.with_name("locust_failures.csv")
    failures = list(csv.DictReader(failures_csv.open())) if failures_csv.is_file() else []
    return parse_stats(stats), failures


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None  # "N/A" when a row has no request


def parse_stats(path: Path) -> dict[str, object]:
    rows = []
    total = None
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            entry = {
                "name": row["Name"],
                "method": row["Type"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 2),
                "median_ms": _number(row["50%"]),
                "p95_ms": _number(row["95%"]),
                "max_ms": _number(row["100%"]),
            }
            if row["Name"] == "Aggregated":
                total = entry
            else:
                rows.append(entry)
    if total is None:
        raise RunError(f"{path} has no Aggregated row.")
    return {"total": total, "by_name": rows}


def print_figures(label: str, stats: dict[str, object]) -> None:
    print(f"\nResults ({label}):")
    print(f"  {'request':<32} {'count':>7} {'fail':>5} {'req/s':>7} {'median':>8} {'p95':>8}")
    for entry in [*stats["by_name"], stats["total"]]:
        name = "ALL" if entry is stats["total"] else entry["name"]
        median = "-" if entry["median_ms"] is None else f"{entry['median_ms']:.0f} ms"
        p95 = "-" if entry["p95_ms"] is None else f"{entry['p95_ms']:.0f} ms"
        print(
            f"  {name[:32]:<32} {entry['requests']:>7} {entry['failures']:>5} "
            f"{entry['rps']:>7.1f} {median:>8} {p95:>8}"
        )


def print_checks(checks: list[Check]) -> None:
    for check in checks:
        print(f"  [{'ok' if check.ok else 'FAILED'}] {check.name}: {check.detail}")


def write_results(path: Path, label: str, run: dict[str, object]) -> None:
    try:
        existing = json.loads(path.read_text())
        runs = existing.get("runs", {}) if isinstance(existing, dict) else {}
    except (OSError, ValueError):
        runs = {}
    runs[label] = run
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"runs": runs}, indent=2) + "\n")


def check_writes(path: Path, env: dict[str, str]) -> Check:
    """Every write the users recorded is in the database (bench/loadtest/verify.py)."""
    if not path.is_file():
        path.write_text("")
    code = f"from bench.loadtest.verify import main; main({str(path)!r})"
    report = json.loads(manage("shell", "-c", code, env=env).strip().splitlines()[-1])
    kinds = ", ".join(f"{n} {kind}" for kind, n in report["by_kind"].items()) or "none"
    detail = f"{report['writes']} writes recorded ({kinds}); {report['missing_count']} missing"
    if report["missing"]:
        detail += f": {report['missing'][:3]}"
    return Check("every write found", bool(report["ok"]), detail)


def check_audit(env: dict[str, str]) -> Check:
    result = subprocess.run(
        [sys.executable, "manage.py", "verify_audit"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    lines = (result.stdout + result.stderr).strip().splitlines()
    return Check("verify_audit intact", result.returncode == 0, lines[0] if lines else "")


def _wait_for_throttle_window() -> None:
    try:
        elapsed = time.time() - float(PROBE_STAMP.read_text())
    except (OSError, ValueError):
        return
    if 0 <= elapsed < THROTTLE_WINDOW:
        pause = THROTTLE_WINDOW - elapsed
        print(f"Waiting {pause:.0f} s for the last run's failed-sign-in probe to expire...")
        time.sleep(pause)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from victimsupport import prodenv

    paths = prodenv.prepare(ROOT / ".env", PROD_LOCAL)
    cafile = str(paths["cert"])
    prod = django_env(production=True, env_file=paths["env"])
    prod.update(GUNICORN_CERTFILE=str(paths["cert"]), GUNICORN_KEYFILE=str(paths["key"]))
    dev = django_env(production=False, env_file=ROOT / ".env")
    if args.workers:
        prod["GUNICORN_WORKERS"] = str(args.workers)
    if args.threads:
        prod["GUNICORN_THREADS"] = str(args.threads)

    prepare_database(prod)
    database = describe_database(dev)
    print(f"Database: {database['vendor']} {database['name']}, {database['cases']} cases.")
    manage(
        "loadtest_accounts",
        "--count",
        str(args.users),
        "--password-file",
        str(args.password_file),
        env=dev,
    )
    if args.partners:
        manage(
            "loadtest_partners",
            "--count",
            str(args.partners),
            "--password-file",
            str(args.partner_file),
            env=dev,
        )
    # The last account: the locust users start from the first, and each code is used once.
    email, password, totp_secret = read_accounts(args.password_file)[-1]
    _wait_for_throttle_window()

    with ExitStack() as stack:
        if args.host:
            hosts = args.host
        else:
            manage("collectstatic", "--noinput", "--verbosity", "0", env=prod)
            log_dir = PROD_LOCAL / "logs"
            log_dir.mkdir(parents=True, exist_ok=True)
            print(f"Starting {args.servers} app server(s) with production settings...")
            hosts = [
                stack.enter_context(app_server(args.first_port + i, prod, log_dir, cafile))
                for i in range(args.servers)
            ]
            if args.worker:
                stack.enter_context(background_worker(prod, log_dir))
        https_ca = cafile if any(h.startswith("https:") for h in hosts) else None
        checks: list[Check] = []
        if len(hosts) > 1:
            print("Checking that the servers share their state:")
            checks = check_session_and_documents(
                hosts, email, password, totp_secret=totp_secret, cafile=https_ca
            )
            print_checks(checks)
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        stats, failures = run_locust(args, hosts, https_ca, workdir)
        if len(hosts) > 1:
            throttle = check_login_throttle_shared(
                hosts,
                failures_per_email=int(os.environ.get("LOGIN_FAILURES_PER_EMAIL", "5")),
                cafile=https_ca,
            )
            PROBE_STAMP.write_text(str(time.time()))
            print_checks([throttle])
            checks.append(throttle)
        print("Checking that nothing was lost:")
        lost = [check_writes(workdir / "writes.jsonl", dev), check_audit(dev)]
        print_checks(lost)
        checks.extend(lost)

    label = args.label or f"{len(hosts)} server" + ("s" if len(hosts) > 1 else "")
    print_figures(label, stats)
    for failure in failures:
        print(f"  failure: {failure['Name']}: {failure['Error']} x{failure['Occurrences']}")
    server = {} if args.host else gunicorn_settings(prod)
    write_results(
        args.out,
        label,
        {
            "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "servers": hosts,
            "gunicorn": server,
            "cpus": os.cpu_count(),
            "database": database,
            "users": args.users,
            "partners": args.partners,
            "worker": args.worker,
            "spawn_rate": args.spawn_rate,
            "run_time": args.run_time,
            "wait_seconds": args.wait,
            "checks": [check.__dict__ for check in checks],
            **stats,
            "failures": failures,
        },
    )
    print(f"\nWritten to {args.out}.")
    failed = stats["total"]["failures"] or any(not check.ok for check in checks)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RunError as exc:
        print(f"loadtest: {exc}", file=sys.stderr)
        sys.exit(2)
