"""Caseworkers at work: case lists, case files and searches. Run it through run.py.

Each simulated caseworker signs in once through allauth (with its CSRF token, then a code made
from its authenticator secret, as production asks of every caseworker) as one of the accounts
in LOADTEST_PASSWORD_FILE, then, with a short pause between actions (LOADTEST_WAIT,
"min,max" seconds, default 0.5,1.5: far shorter than a real caseworker's), does a mix of:

- the team list, page 1, and a later page chosen at random among the pages it has seen exist;
- its own list ("My cases") and both lists with filters (status, risk level, review due);
- a case file found in the lists;
- a search (POST with ``q``, answered through the blind indexes), by a reference seen in a
  list or by a full name, which may match nothing: the index lookup is the same work;
- writes: a note on a case file, a whole intake (every step, then the case made from it), and
  the case-file PDF (at once when small, else a job for the background worker).

Partner users (``PartnerUser``, accounts in LOADTEST_PARTNER_FILE from ``manage.py
loadtest_partners``) read their organisation's inbox and open the referrals sent to them.

Each write is recorded, when it succeeded, in LOADTEST_WRITES_FILE (one JSON object a line:
its kind, the case, and a marker the write carried), so that the runner can check afterwards
that every one of them is in the database (bench/loadtest/verify.py).

Requests are grouped by what they do, not by address (case ids are not worth a row each).
LOADTEST_HOSTS, comma-separated, spreads the users over several app servers (round robin);
every address must be a loopback one. LOADTEST_CA_FILE is the certificate to trust for HTTPS.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import sys
import uuid
from pathlib import Path

from locust import HttpUser, events, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.loadtest.common import (
    AUTHENTICATE_PATH,
    CASE_ROW_RE,
    CSRF_RE,
    LOGIN_PATH,
    PAGE_OF_RE,
    NotLoopback,
    check_loopback_url,
    read_accounts,
    totp_code,
    wait_for_next_code,
)

FILTERS = (
    "status=open",
    "risk=high",
    "risk=medium&status=open",
    "review_due=on",
    "status=closed",
)
NAMES = ("Amara Okoye", "Lena Vos", "Joy Mensah", "Alex Example")
MAX_REMEMBERED = 200


def _hosts() -> list[str]:
    return [h.strip() for h in os.environ.get("LOADTEST_HOSTS", "").split(",") if h.strip()]


def _wait_range() -> tuple[float, float]:
    low, _, high = os.environ.get("LOADTEST_WAIT", "0.5,1.5").partition(",")
    return float(low), float(high or low)


_accounts: list[tuple[str, str, str]] = []
_partner_accounts: list[tuple[str, str, str]] = []
_account_numbers = itertools.count()
_partner_numbers = itertools.count()
CASE_PATH_RE = re.compile(r"/cases/([0-9a-f-]{36})/")
REFERRAL_LINK_RE = re.compile(r'href="/network/inbox/([0-9a-f-]{36})/"')


def record_write(kind: str, **details: str) -> None:
    """Append one successful write to LOADTEST_WRITES_FILE (gevent: one process, one line
    written at once)."""
    path = os.environ.get("LOADTEST_WRITES_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"kind": kind, **details}) + "\n")


_host_numbers = itertools.count()
_WAIT = _wait_range()


@events.init.add_listener
def _check_configuration(environment, **_kwargs) -> None:
    """Refuse a non-loopback target and load the accounts, before any user starts."""
    try:
        for host in _hosts() or [environment.host or ""]:
            check_loopback_url(host)
    except NotLoopback as exc:
        sys.exit(f"locustfile: {exc}")
    password_file = os.environ.get("LOADTEST_PASSWORD_FILE", "")
    if not password_file:
        sys.exit("locustfile: set LOADTEST_PASSWORD_FILE (see `manage.py loadtest_accounts`).")
    _accounts[:] = read_accounts(Path(password_file))
    partner_file = os.environ.get("LOADTEST_PARTNER_FILE", "")
    if partner_file:
        _partner_accounts[:] = read_accounts(Path(partner_file))


class SignedIn(HttpUser):
    abstract = True

    def next_account(self) -> tuple[str, str, str]:
        return _accounts[next(_account_numbers) % len(_accounts)]

    def after_sign_in(self) -> None:
        pass

    def wait_time(self) -> float:
        return random.uniform(*_WAIT)  # noqa: S311 - think time, not security

    def __init__(self, environment) -> None:
        hosts = _hosts()
        if hosts:
            self.host = hosts[next(_host_numbers) % len(hosts)]
        super().__init__(environment)
        self.client.verify = os.environ.get("LOADTEST_CA_FILE") or True
        self.case_ids: list[str] = []
        self.references: list[str] = []
        self.team_pages = 1
        self.csrf_token = ""

    # --- helpers -----------------------------------------------------------------------

    def _remember(self, html: str) -> None:
        rows = CASE_ROW_RE.findall(html)
        for case_id, reference in rows:
            if case_id not in self.case_ids:
                self.case_ids.append(case_id)
                self.references.append(reference.strip())
        del self.case_ids[:-MAX_REMEMBERED], self.references[:-MAX_REMEMBERED]
        token = CSRF_RE.search(html)
        if token:
            self.csrf_token = token.group(1)

    def _headers(self, path: str) -> dict[str, str]:
        # A browser's form post: Django's CSRF check compares Origin with the host.
        return {"Origin": self.host.rstrip("/"), "Referer": self.host.rstrip("/") + path}

    def _page(self, path: str, name: str, **kwargs) -> str:
        with self.client.request(
            kwargs.pop("method", "GET"), path, name=name, catch_response=True, **kwargs
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif "/accounts/" in response.url:
                # The sign-in page (session lost) or two-factor set-up (the account needs it).
                response.failure(f"sent to {response.url.split('?')[0]}")
            else:
                response.success()
            return response.text or ""

    # --- sign in -------------------------------------------------------------------------

    def on_start(self) -> None:
        email, password, secret = self.next_account()
        page = self.client.get(LOGIN_PATH, name="sign-in page")
        token = CSRF_RE.search(page.text or "")
        if token is None:
            raise StopUser()
        with self.client.post(
            LOGIN_PATH,
            data={"login": email, "password": password, "csrfmiddlewaretoken": token.group(1)},
            headers=self._headers(LOGIN_PATH),
            name="sign in",
            catch_response=True,
        ) as response:
            # Production asks every caseworker for an authenticator code after the password.
            needs_code = response.status_code == 200 and AUTHENTICATE_PATH in response.url
            if needs_code and not secret:
                response.failure("a second factor is required and the account has no secret")
                raise StopUser()
            if not needs_code and (response.status_code != 200 or "/accounts/" in response.url):
                response.failure("sign-in refused, or two-factor set-up required")
                raise StopUser()
            response.success()
            html = response.text or ""
        if needs_code and not self._second_factor(html, secret):
            raise StopUser()
        self.after_sign_in()

    def _second_factor(self, html: str, secret: str) -> bool:
        for attempt in range(2):
            token = CSRF_RE.search(html)
            if token is None:
                return False
            with self.client.post(
                AUTHENTICATE_PATH,
                data={"code": totp_code(secret), "csrfmiddlewaretoken": token.group(1)},
                headers=self._headers(AUTHENTICATE_PATH),
                name="sign in: authenticator code",
                catch_response=True,
            ) as response:
                if response.status_code == 200 and "/accounts/" not in response.url:
                    response.success()
                    return True
                if attempt == 0 and AUTHENTICATE_PATH in response.url:
                    # Each code is accepted once: the runner's own check may have just used
                    # this one for the same account. Not the server's fault: wait for the next.
                    response.success()
                    html = response.text or ""
                else:
                    response.failure("authenticator code refused")
                    return False
            wait_for_next_code()
        return False


class Caseworker(SignedIn):
    def after_sign_in(self) -> None:
        self.team_list()

    # --- tasks ---------------------------------------------------------------------------

    @task(4)
    def team_list(self) -> None:
        html = self._page("/cases/?scope=team", "list: team, page 1")
        self._remember(html)
        found = PAGE_OF_RE.search(html)
        if found:
            self.team_pages = int(found.group(2))

    @task(2)
    def team_list_later_page(self) -> None:
        if self.team_pages < 2:
            return self.team_list()
        page = random.randint(2, self.team_pages)  # noqa: S311
        self._remember(self._page(f"/cases/?scope=team&page={page}", "list: team, later page"))

    @task(2)
    def own_list(self) -> None:
        self._remember(self._page("/cases/", "list: mine, page 1"))

    @task(2)
    def team_list_filtered(self) -> None:
        query = random.choice(FILTERS)  # noqa: S311
        self._remember(self._page(f"/cases/?scope=team&{query}", "list: team, filtered"))

    @task(1)
    def own_list_filtered(self) -> None:
        query = random.choice(FILTERS)  # noqa: S311
        self._remember(self._page(f"/cases/?{query}", "list: mine, filtered"))

    @task(5)
    def case_file(self) -> None:
        if not self.case_ids:
            return self.team_list()
        case_id = random.choice(self.case_ids)  # noqa: S311
        self._page(f"/cases/{case_id}/", "case file")

    @task(2)
    def search(self) -> None:
        if self.references and random.random() < 0.5:  # noqa: S311
            words = random.choice(self.references)  # noqa: S311
        else:
            words = random.choice(NAMES)  # noqa: S311
        self._page(
            "/cases/",
            "search (POST, blind index)",
            method="POST",
            data={"scope": "team", "q": words, "csrfmiddlewaretoken": self.csrf_token},
            headers=self._headers("/cases/"),
        )

    # --- writes ------------------------------------------------------------------------

    def _post(self, path: str, data: dict, name: str, expect: int = 302):
        """POST a form with the session's CSRF token; the response, or None on failure."""
        with self.client.post(
            path,
            data={**data, "csrfmiddlewaretoken": self.csrf_token},
            headers=self._headers(path),
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != expect:
                response.failure(f"status {response.status_code}")
                return None
            location = response.headers.get("Location", "")
            if location.startswith("/accounts/"):
                response.failure(f"sent to {location.split('?')[0]}")
                return None
            response.success()
            return response

    @task(3)
    def add_note(self) -> None:
        if not self.case_ids or not self.csrf_token:
            return self.team_list()
        case_id = random.choice(self.case_ids)  # noqa: S311
        marker = f"Load-test note {uuid.uuid4()}"
        if self._post(f"/cases/{case_id}/notes/", {"body": marker}, "write: note"):
            record_write("note", case=case_id, marker=marker)

    @task(1)
    def intake(self) -> None:
        if not self.csrf_token:
            return self.team_list()
        started = self._post("/cases/intake/", {}, "write: intake, start")
        if started is None:
            return None
        draft = started.headers["Location"].split("/")[3]
        marker = f"Load{uuid.uuid4().hex[:12]}"
        steps = intake_answers(marker)
        for step, answers in steps:
            if not self._post(f"/cases/intake/{draft}/{step}/", answers, "write: intake, step"):
                return None
        finished = self._post(f"/cases/intake/{draft}/finish/", {}, "write: intake, finish")
        if finished is None:
            return None
        found = CASE_PATH_RE.search(finished.headers.get("Location", ""))
        if found is None:  # straight into the risk assessment: its address names the case too
            found = re.search(r"/([0-9a-f-]{36})/", finished.headers.get("Location", ""))
        record_write("intake", case=found.group(1) if found else "", marker=marker)

    @task(1)
    def export(self) -> None:
        if not self.case_ids or not self.csrf_token:
            return self.team_list()
        case_id = random.choice(self.case_ids)  # noqa: S311
        path = f"/cases/{case_id}/export/"
        with self.client.post(
            path,
            data={"csrfmiddlewaretoken": self.csrf_token},
            headers=self._headers(path),
            name="write: case-file PDF",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code == 200 and response.content.startswith(b"%PDF"):
                response.success()
                record_write("export", case=case_id, job="")
            elif response.status_code == 302 and "/exports/" in location:
                response.success()
                record_write("export", case=case_id, job=location.rstrip("/").split("/")[-1])
            else:
                response.failure(f"status {response.status_code}")


def intake_answers(marker: str) -> list[tuple[str, dict]]:
    """A whole intake as a browser sends it, naming a person no one else has (``marker``)."""
    number = random.randint(0, 10**8 - 1)  # noqa: S311
    return [
        ("safety", {"safe_to_talk": "yes", "phone_safe": "on", "phone_times": "Mornings"}),
        ("notice", {"method": "verbal", "understood": "on"}),
        (
            "person",
            {
                "given_name": marker,
                "family_name": "Loadtest",
                "date_of_birth": "1990-01-01",
                "phone": f"+3269{number:08d}",
                "confirm_new": "yes",
            },
        ),
        (
            "screening",
            {
                "ongoing_threat": "no",
                "ongoing_victimisation": "no",
                "fearful": "no",
                "victim_view": "low",
            },
        ),
        ("needs", {"categories": ["housing"], "crime_reported": "no"}),
        ("consent", {"processing": "yes", "method": "verbal"}),
    ]


class PartnerUser(SignedIn):
    """A member of a partner organisation: its inbox, and the referrals sent to it."""

    # Exactly this many (LOADTEST_PARTNER_USERS); the caseworkers are the rest of --users.
    fixed_count = int(os.environ.get("LOADTEST_PARTNER_USERS") or 0)

    def next_account(self) -> tuple[str, str, str]:
        if not _partner_accounts:
            raise StopUser()
        return _partner_accounts[next(_partner_numbers) % len(_partner_accounts)]

    def after_sign_in(self) -> None:
        self.referral_ids: list[str] = []
        self.inbox()

    @task(3)
    def inbox(self) -> None:
        html = self._page("/network/inbox/", "partner: inbox")
        for referral_id in REFERRAL_LINK_RE.findall(html):
            if referral_id not in self.referral_ids:
                self.referral_ids.append(referral_id)

    @task(2)
    def referral(self) -> None:
        if not getattr(self, "referral_ids", None):
            return self.inbox()
        referral_id = random.choice(self.referral_ids)  # noqa: S311
        self._page(f"/network/inbox/{referral_id}/", "partner: referral package")
