"""gunicorn settings: `gunicorn -c gunicorn.conf.py` (used by `make serve-prod` and the load test).

Every value can be overridden from the environment:

- GUNICORN_BIND (default 127.0.0.1:8000; comma-separated for several addresses)
- GUNICORN_WORKERS (default 2 x CPU cores + 1, so 5 on a 2-core machine) and GUNICORN_THREADS
  (default 2): threaded workers overlap the database round trips of one process, and separate
  processes use every core for the CPU-bound parts (decryption, templates, password hashing).
- GUNICORN_TIMEOUT (default 60 s: a request still running then is killed and its worker
  restarted), GUNICORN_GRACEFUL_TIMEOUT (30 s), GUNICORN_KEEPALIVE (5 s)
- GUNICORN_MAX_REQUESTS (default 2000, with jitter): workers are recycled now and then, so a slow
  leak cannot grow without bound.
- GUNICORN_CERTFILE and GUNICORN_KEYFILE: serve HTTPS directly (the local production trial does,
  with the certificate victimsupport.prodenv writes). Behind a TLS-terminating proxy leave them
  unset and set TRUST_X_FORWARDED_PROTO=true for Django instead.
- GUNICORN_LOG_LEVEL (default info), GUNICORN_ACCESS_LOG (default "-", stdout; "" turns it off).

Nothing sensitive is logged: the access log has the method, the path without its query string,
the status, the size and the time taken; never the query string, the referrer (which carries the
previous page's query string) or any header. Searches are sent by POST, so their words are in no
address at all, and case pages are addressed by opaque ids.

gunicorn trusts X-Forwarded-Proto and the like from no address: whether a request came over
HTTPS is decided by the TLS settings above, or by Django's TRUST_X_FORWARDED_PROTO.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number.") from None
    if value < minimum:
        raise SystemExit(f"{name} must be at least {minimum}.")
    return value


wsgi_app = "victimsupport.wsgi:application"

bind = [
    b.strip() for b in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",") if b.strip()
]

worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1, minimum=1)
threads = _int("GUNICORN_THREADS", 2, minimum=1)

timeout = _int("GUNICORN_TIMEOUT", 60, minimum=1)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30, minimum=1)
keepalive = _int("GUNICORN_KEEPALIVE", 5, minimum=0)
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000, minimum=0)
max_requests_jitter = max_requests // 10

# Requests larger than this are refused before Django sees them; Django and the document size
# check still apply their own, smaller limits.
limit_request_line = 4094
limit_request_fields = 100

# Heartbeat files in memory rather than on a possibly slow or full disk.
if os.path.isdir("/dev/shm"):  # noqa: S108 - gunicorn's documented choice
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# gunicorn's default trusts these headers from 127.0.0.1; nothing here is a trusted proxy.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}

certfile = os.environ.get("GUNICORN_CERTFILE") or None
keyfile = os.environ.get("GUNICORN_KEYFILE") or None
if bool(certfile) != bool(keyfile):
    raise SystemExit("Set both GUNICORN_CERTFILE and GUNICORN_KEYFILE, or neither.")

loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
errorlog = "-"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# %(U)s is the path without the query string; %(M)s the time taken in milliseconds.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
proc_name = "casework"
# gunicorn's control socket (gunicornc) lives at one path per user: several servers on one
# machine would share it. Nothing here uses it.
control_socket_disable = True
