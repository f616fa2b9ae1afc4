"""Sign-in throttling: guessing stays slow, but one person's failures (or an attacker's) do
not keep anyone with the right password out: not colleagues behind the same office address,
not the owner on their own browser or on a new one. Only the cool-off of one account from one
place refuses the right password."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail, signing
from django.test import Client

from tests import factories
from tests.factories import PASSWORD
from victimsupport.access import Role
from victimsupport.accounts import throttle

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
OFFICE = "192.0.2.10"
ELSEWHERE = "198.51.100.7"
THROTTLED = "Too many failed login attempts"


def browser(address: str = OFFICE) -> Client:
    return Client(REMOTE_ADDR=address)


def login(client: Client, email: str, password: str = PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


def signed_in(response) -> bool:
    return response.status_code == 302 and not response["Location"].startswith(LOGIN)


def sign_in_once(client: Client, email: str) -> None:
    """Sign in and out again, as someone does on their own browser at the end of a day."""
    assert signed_in(login(client, email))
    client.post("/accounts/logout/")


@pytest.fixture
def ana(north):
    return factories.caseworker(north, name="Ana")


@pytest.fixture
def ben(north):
    return factories.caseworker(north, name="Ben")


def test_colleague_from_the_same_office_signs_in_after_someone_elses_failures(ana, ben):
    ana_pc = browser()
    for _ in range(12):  # Ana keeps trying well past her own cool-off
        login(ana_pc, ana.email, "wrong password")
    assert THROTTLED in login(ana_pc, ana.email).text
    # Ben, at the next desk behind the same address, has never signed in on this computer.
    assert signed_in(login(browser(), ben.email))


def test_attackers_failures_from_elsewhere_do_not_stop_the_owner_on_their_known_browser(ben):
    bens_pc = browser()
    sign_in_once(bens_pc, ben.email)
    # Guessing Ben's password from many addresses fills every limit but the owner's browser.
    for n in range(30):
        login(browser(f"203.0.113.{n % 6 + 1}"), ben.email, f"guess {n}")
    assert THROTTLED in login(browser(ELSEWHERE), ben.email, "guess").text
    assert signed_in(login(bens_pc, ben.email))


def test_attacker_in_the_office_does_not_stop_the_owner_on_their_known_browser(ben, north):
    bens_pc = browser()
    sign_in_once(bens_pc, ben.email)
    attacker = browser()  # the same shared address
    for n in range(40):  # Ben's account, then spraying the others
        login(attacker, ben.email if n < 10 else f"guess{n}@test.example", "Winter2026!")
    assert THROTTLED in login(attacker, ben.email).text
    assert signed_in(login(bens_pc, ben.email))


def test_spraying_from_the_office_address_does_not_stop_a_colleague_on_a_new_browser(ben):
    sprayer = browser()  # behind the office's shared address
    for n in range(40):
        login(sprayer, f"guess{n}@test.example", "Winter2026!")
    assert THROTTLED in login(sprayer, "guess99@test.example", "Winter2026!").text
    # Ben has never signed in on this computer (or has cleared his cookies).
    assert signed_in(login(browser(), ben.email))


def test_filling_an_accounts_limit_from_elsewhere_does_not_stop_the_owner_on_a_new_browser(ben):
    for n in range(40):
        login(browser(f"203.0.113.{n % 8 + 1}"), ben.email, f"guess {n}")
    assert THROTTLED in login(browser(ELSEWHERE), ben.email, "guess").text
    # Ben on a computer that has never seen him, from his own office's address.
    assert signed_in(login(browser(OFFICE), ben.email))
    # The attacker's own places stay in cool-off: there even the right password waits.
    assert THROTTLED in login(browser("203.0.113.1"), ben.email).text


def test_a_wrong_password_over_a_wide_limit_is_refused_and_counted(ana, monkeypatch):
    guesser = browser(ELSEWHERE)
    for n in range(10):  # fills this address's limit, all accounts together
        login(guesser, f"person{n}@test.example", "Winter2026!")
    for n in range(5):
        assert THROTTLED in login(guesser, ana.email, f"guess {n}").text
    # A minute and a half later the address's limit is free again, but the five guesses
    # counted: Ana's cool-off from this address refuses even her right password.
    later = time.time() + 90
    monkeypatch.setattr(time, "time", lambda: later)
    assert THROTTLED in login(guesser, ana.email).text


def test_over_a_wide_limit_a_known_and_an_unknown_account_get_the_same_answer(ana):
    guesser = browser(ELSEWHERE)
    for n in range(10):
        login(guesser, f"person{n}@test.example", "Winter2026!")
    known = login(guesser, ana.email, "wrong")
    unknown = login(guesser, "nobody@test.example", "wrong")
    assert known.status_code == unknown.status_code == 200
    assert THROTTLED in known.text and THROTTLED in unknown.text
    assert without_token(known, ana.email) == without_token(unknown, "nobody@test.example")


def without_token(response, typed: str) -> str:
    return re.sub(r'value="[A-Za-z0-9]{64}"', "", response.text).replace(typed, "")


def test_guessing_one_account_from_one_address_is_still_throttled(ana):
    guesser = browser(ELSEWHERE)
    for n in range(5):
        assert not signed_in(login(guesser, ana.email, f"guess {n}"))
    throttled = login(guesser, ana.email)  # even the right password waits
    assert THROTTLED in throttled.text
    assert "wait" in throttled.text
    # Another new browser from the same address shares that address's cool-off.
    assert THROTTLED in login(browser(ELSEWHERE), ana.email).text


def test_guessing_on_a_known_browser_is_throttled_too(ana):
    ana_pc = browser()
    sign_in_once(ana_pc, ana.email)
    for n in range(5):
        login(ana_pc, ana.email, f"guess {n}")
    assert THROTTLED in login(ana_pc, ana.email).text


def test_spraying_from_one_address_is_slowed(settings):
    sprayer = browser(ELSEWHERE)
    for n in range(10):
        login(sprayer, f"person{n}@test.example", "Winter2026!")
    assert THROTTLED in login(sprayer, "person99@test.example", "Winter2026!").text


def test_the_throttle_message_is_the_same_for_unknown_addresses(ana):
    guesser = browser(ELSEWHERE)
    for _ in range(5):
        login(guesser, ana.email, "wrong")
        login(guesser, "nobody@test.example", "wrong")
    known = login(guesser, ana.email, "wrong")
    unknown = login(guesser, "nobody@test.example", "wrong")
    assert THROTTLED in known.text and THROTTLED in unknown.text
    assert known.status_code == unknown.status_code


def test_known_browser_cookie_is_signed_http_only_and_bound_to_the_user(ana, ben):
    ana_pc = browser()
    sign_in_once(ana_pc, ana.email)
    cookie = ana_pc.cookies[throttle.COOKIE]
    assert cookie["httponly"]
    assert cookie["path"] == "/accounts/"
    assert str(ana.email) not in cookie.value
    # Ana's cookie does not exempt someone guessing Ben's password from her computer.
    for n in range(5):
        login(ana_pc, ben.email, f"guess {n}")
    assert THROTTLED in login(ana_pc, ben.email).text
    # A forged or altered cookie counts for nothing.
    forged = browser()
    forged.cookies[throttle.COOKIE] = cookie.value[:-2] + "xx"
    for n in range(5):
        login(forged, ana.email, f"guess {n}")
    assert THROTTLED in login(forged, ana.email).text


def test_changing_the_password_forgets_known_browsers(ana):
    ana_pc = browser()
    sign_in_once(ana_pc, ana.email)
    ana.set_password("a completely new passphrase 42")
    ana.save(update_fields=["password"])
    for n in range(30):
        login(browser(f"203.0.113.{n % 6 + 1}"), ana.email, f"guess {n}")
    assert throttle.known_browser_token(fake_request(ana_pc), ana.email) is None
    # No longer exempt from the account's limit: a wrong password there is told to wait.
    assert THROTTLED in login(ana_pc, ana.email, "wrong").text


def test_a_shared_computer_remembers_each_person(ana, ben):
    shared = browser()
    sign_in_once(shared, ana.email)
    sign_in_once(shared, ben.email)
    entries = signing.loads(shared.cookies[throttle.COOKIE].value, salt=throttle.SALT)
    assert {e["u"] for e in entries} == {ana.pk, ben.pk}


def test_a_successful_sign_in_is_not_counted_as_a_failure(ana):
    for _ in range(4):
        login(browser(ELSEWHERE), ana.email, "wrong")
    assert signed_in(login(browser(ELSEWHERE), ana.email))
    # Four failures in the cool-off, not five: one more attempt is allowed, then no more.
    assert THROTTLED not in login(browser(ELSEWHERE), ana.email, "wrong").text
    assert THROTTLED in login(browser(ELSEWHERE), ana.email, "wrong").text


def test_a_browser_becomes_known_only_once_the_second_factor_is_given():
    sofia = factories.make_user("Sofia", role=Role.SUPERVISOR)
    secret = factories.with_totp(sofia)
    sofia_pc = browser()
    login(sofia_pc, sofia.email)
    assert throttle.COOKIE not in sofia_pc.cookies  # the password alone is not a sign-in
    sofia_pc.post("/accounts/2fa/authenticate/", {"code": factories.totp_code(secret)})
    assert throttle.COOKIE in sofia_pc.cookies


def test_a_password_reset_lifts_the_accounts_limit(ana):
    for n in range(30):
        login(browser(f"203.0.113.{n % 6 + 1}"), ana.email, f"guess {n}")
    new_pc = browser(ELSEWHERE)
    assert THROTTLED in login(new_pc, ana.email, "wrong").text
    new_pc.post("/accounts/password/reset/", {"email": ana.email})
    link = next(w for w in mail.outbox[-1].body.split() if "/password/reset/key/" in w)
    form = new_pc.get(link, follow=True).redirect_chain[-1][0]
    new = "a completely new passphrase 42"
    assert new_pc.post(form, {"password1": new, "password2": new}).status_code == 302
    assert THROTTLED not in login(new_pc, ana.email, "wrong").text
    assert signed_in(login(new_pc, ana.email, new))


def test_a_known_browser_is_forgotten_after_the_configured_days(ana, settings, monkeypatch):
    ana_pc = browser()
    sign_in_once(ana_pc, ana.email)
    assert throttle.known_browser_token(fake_request(ana_pc), ana.email)
    later = time.time() + settings.LOGIN_KNOWN_BROWSER_DAYS * 86400 + 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert throttle.known_browser_token(fake_request(ana_pc), ana.email) is None


def fake_request(client: Client):
    from django.test import RequestFactory

    request = RequestFactory().post(LOGIN)
    request.COOKIES[throttle.COOKIE] = client.cookies[throttle.COOKIE].value
    return request
