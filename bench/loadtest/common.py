"""What the load test's runner, its locustfile and the scale-out test share.

Standard library only: the runner and the tests import it without locust (whose import patches
the whole process for gevent).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import re
import secrets
import ssl
import struct
import time
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

LOGIN_PATH = "/accounts/login/"
AUTHENTICATE_PATH = "/accounts/2fa/authenticate/"
TOTP_PERIOD = 30
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CASE_LINK_RE = re.compile(
    r'href="/cases/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/"'
)
CASE_ROW_RE = re.compile(
    r'href="/cases/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/">([^<]+)</a>'
)
PAGE_OF_RE = re.compile(r"page (\d+) of (\d+)")
DOCUMENT_LINK_RE = re.compile(r'href="/cases/[0-9a-f-]{36}/documents/(\d+)/"')
RATE_LIMITED_TEXT = "Too many failed login attempts"


class NotLoopback(ValueError):
    """The load test only ever targets this machine."""


def check_loopback_url(url: str) -> str:
    """Return ``url`` if it is http(s) on a loopback address, else raise NotLoopback.

    Only literal loopback addresses and ``localhost`` are accepted; no name is resolved, so a
    name that happens to resolve to 127.0.0.1 today cannot point elsewhere tomorrow.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise NotLoopback(f"{url!r} is not an http(s) address.")
    host = parts.hostname
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise NotLoopback(
                f"{host} is not a loopback address: the load test only targets this machine."
            )
    return url.rstrip("/")


def read_accounts(path: Path) -> list[tuple[str, str, str]]:
    """(email, password, TOTP secret) from the email<TAB>password<TAB>secret lines written by
    `manage.py loadtest_accounts` (the secret is empty in an older file: no second factor)."""
    accounts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        email, sep, rest = line.partition("\t")
        if not sep:
            raise ValueError(f"{path}: expected email<TAB>password<TAB>secret lines.")
        password, _, secret = rest.partition("\t")
        accounts.append((email.strip(), password.strip(), secret.strip()))
    if not accounts:
        raise ValueError(f"{path} holds no accounts.")
    return accounts


def totp_code(secret: str, at: float | None = None) -> str:
    """The six-digit code an authenticator app shows for ``secret`` (RFC 6238, as allauth)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // TOTP_PERIOD)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


def wait_for_next_code() -> None:
    """allauth accepts each code once: a second sign-in within the same 30 s waits for the
    next one."""
    time.sleep(TOTP_PERIOD - time.time() % TOTP_PERIOD + 0.5)


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


@dataclass
class Client:
    """A minimal browser: cookies, CSRF tokens, form and multipart posts; no redirects followed.

    One connection per request. ``cafile`` is the certificate to trust for HTTPS (the local
    trial's self-signed one). ``virtual_host`` sends that Host header (and a matching Origin)
    instead of the address's own, as a load balancer in front of several servers would.
    """

    base_url: str
    cafile: str | None = None
    timeout: float = 20.0
    cookies: dict[str, str] = field(default_factory=dict)
    virtual_host: str | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        self.base_url = f"{parts.scheme}://{parts.netloc}"
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (443 if self._https else 80)
        self._origin = (
            f"{parts.scheme}://{self.virtual_host}" if self.virtual_host else self.base_url
        )

    def _connection(self) -> http.client.HTTPConnection:
        if self._https:
            context = ssl.create_default_context(cafile=self.cafile)
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self.timeout, context=context
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)

    def request(
        self,
        method: str,
        path: str,
        *,
        fields: dict[str, str] | None = None,
        files: dict[str, tuple[str, str, bytes]] | None = None,
    ) -> Response:
        headers = {"Host": self.virtual_host or urlsplit(self.base_url).netloc}
        body: bytes | None = None
        if method != "GET":
            # What a browser sends with a form: Django checks Origin (or, over HTTPS, Referer).
            headers["Origin"] = self._origin
            headers["Referer"] = self._origin + path
            if files:
                body, headers["Content-Type"] = multipart(fields or {}, files)
            else:
                body = urlencode(fields or {}, doseq=True).encode("ascii")
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = self._connection()
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            response = Response(raw.status, raw.headers, raw.read())
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel.value and morsel["max-age"] not in {"0", 0}:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, str], **kwargs) -> Response:
        return self.request("POST", path, fields=fields, **kwargs)

    def csrf_token(self, path: str) -> str:
        page = self.get(path)
        match = CSRF_RE.search(page.text)
        if page.status != 200 or not match:
            raise AssertionError(f"GET {path} gave {page.status} and no form to post.")
        return match.group(1)

    def login(self, email: str, password: str) -> Response:
        token = self.csrf_token(LOGIN_PATH)
        return self.post(
            LOGIN_PATH, {"login": email, "password": password, "csrfmiddlewaretoken": token}
        )

    def second_factor(self, secret: str) -> Response:
        for attempt in range(2):
            token = self.csrf_token(AUTHENTICATE_PATH)
            response = self.post(
                AUTHENTICATE_PATH, {"code": totp_code(secret), "csrfmiddlewaretoken": token}
            )
            if response.status != 200 or attempt:
                return response
            wait_for_next_code()  # refused: this code was used already
        return response

    def logged_in(self, email: str, password: str, totp_secret: str = "") -> Client:
        response = self.login(email, password)
        if response.status == 302 and response.location.startswith(AUTHENTICATE_PATH):
            if not totp_secret:
                raise AssertionError(f"{email} needs a second factor and has no secret.")
            response = self.second_factor(totp_secret)
        if response.status != 302 or response.location.startswith("/accounts/"):
            raise AssertionError(f"Signing in on {self.base_url} failed ({response.status}).")
        return self


def multipart(
    fields: dict[str, str], files: dict[str, tuple[str, str, bytes]]
) -> tuple[bytes, str]:
    """Encode a form with files (name: (filename, content type, bytes)) as multipart/form-data."""
    boundary = "----casework-" + secrets.token_hex(12)
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
        )
    for name, (filename, content_type, data) in files.items():
        parts.append(
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# --- Checks that several app servers share their state -------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def check_session_and_documents(
    servers: list[str],
    email: str,
    password: str,
    *,
    totp_secret: str = "",
    cafile: str | None = None,
) -> list[Check]:
    """Sign in on the first server and use the session on the second; upload a document on the
    first and download it from the second; sign out on the second and check the first sees it.
    """
    first, second = servers[0], servers[1]
    checks: list[Check] = []
    one = Client(first, cafile=cafile).logged_in(email, password, totp_secret)
    two = Client(second, cafile=cafile, cookies=dict(one.cookies))

    listing = two.get("/cases/?scope=team")
    shared = listing.status == 200
    checks.append(
        Check(
            "session shared",
            shared,
            f"signed in on {first}, team list on {second}: {listing.status}"
            + ("" if shared else f" -> {listing.location}"),
        )
    )
    case_ids = CASE_LINK_RE.findall(one.get("/cases/?scope=team").text)
    if not case_ids:
        checks.append(Check("document shared", False, "the account's teams have no cases"))
    else:
        case = case_ids[0]
        content = f"Load-test probe {secrets.token_hex(16)}\n".encode()
        token = one.csrf_token(f"/cases/{case}/")
        upload = one.request(
            "POST",
            f"/cases/{case}/documents/",
            fields={"csrfmiddlewaretoken": token, "description": ""},
            files={"file": ("probe.txt", "text/plain", content)},
        )
        ids = [int(i) for i in DOCUMENT_LINK_RE.findall(two.get(f"/cases/{case}/").text)]
        if upload.status != 302 or not ids:
            checks.append(
                Check("document shared", False, f"upload on {first} answered {upload.status}")
            )
        else:
            download = two.get(f"/cases/{case}/documents/{max(ids)}/")
            same = download.status == 200 and download.body == content
            checks.append(
                Check(
                    "document shared",
                    same,
                    f"uploaded on {first}, downloaded from {second}: {download.status}, "
                    + ("same bytes" if same else "different content"),
                )
            )
    token = two.csrf_token("/cases/")
    two.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
    after = one.get("/cases/")
    ended = after.status == 302 and after.location.startswith(LOGIN_PATH)
    checks.append(
        Check(
            "sign-out shared",
            ended,
            f"signed out on {second}, {first} then answers {after.status}",
        )
    )
    return checks


def check_login_throttle_shared(
    servers: list[str], *, failures_per_email: int = 5, cafile: str | None = None
) -> Check:
    """Fail to sign in as an unknown address on the first server until its cool-off must start,
    then try once on the second: it must already refuse, so the throttle's cache is shared.

    The cool-off counts an account's failures from one network address (the probe's browser
    is new, so not a known one). Both servers are sent the same Host header, as behind a load
    balancer.

    Uses failures_per_email of the address's per-minute failure budget (10 by default): run it
    after a load test, not before one.
    """
    first, second = servers[0], servers[1]
    probe = f"probe-{secrets.token_hex(6)}@loadtest.invalid"
    wrong = secrets.token_urlsafe(16)
    site = urlsplit(first).hostname
    for _ in range(failures_per_email):
        Client(first, cafile=cafile, virtual_host=site).login(probe, wrong)
    last = Client(second, cafile=cafile, virtual_host=site).login(probe, wrong)
    refused = RATE_LIMITED_TEXT in last.text
    return Check(
        "login throttle shared",
        refused,
        f"{failures_per_email} failures on {first}, then {second} "
        + ("refuses at once (cool-off seen)" if refused else "still accepts attempts"),
    )
