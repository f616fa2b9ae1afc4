"""The referral network walked in the browser, on a phone (390 px), by visible labels:

1. Cara refers a case to a refuge: the package is previewed, and sending is refused because
   the person has not consented;
2. she records the person's consent from the refusal's link, sends again: it goes, with
   exactly the parts chosen; a second referral goes under the same consent;
3. a third, to a legal-aid service without consent, needs a legal override: Cara asks, cannot
   approve it herself (no button, and a forged POST is refused), Sofia approves it;
4. Pat, at the refuge, accepts the first referral and records its outcome;
5. the person withdraws their consent: the referral still open under it is revoked at once,
   and Pat can no longer open it.

Every key page fits 390 px without sideways scrolling and axe-core finds nothing serious on
it. Screenshots go to $TMPDIR/walk-shots.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse

from referrals.models import Purpose, Referral, SharingConsent
from tests import factories
from tests.browser.conftest import problems, sign_in, signed_in
from victimsupport.access import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path(tempfile.gettempdir()) / "walk-shots"
REFUGE = "Harbour House Refuge"
LEGAL = "Northside Legal Advice Centre"
NEEDS = "Needs a refuge place in another town, with her two children."
# Every id, hidden inputs too (each answer form on the partner's page has ids of its own).
DUPLICATE_IDS = """[...document.querySelectorAll('[id]')]
    .map(e => e.id).filter((id, i, ids) => ids.indexOf(id) !== i)"""


@pytest.fixture
def world():
    north = factories.make_team("North")
    cara = factories.caseworker(north, "Cara")
    sofia = factories.make_user("Sofia", role=Role.SUPERVISOR, teams=(north,))
    sofia_secret = factories.with_totp(sofia)  # her role requires a second factor
    case = factories.make_full_case(cara, given_name="Amira", family_name="Haddad")
    needs = case.needs.get()
    needs.categories, needs.details = ["housing"], NEEDS
    needs.save()
    refuge = factories.make_partner(REFUGE)
    legal = factories.make_partner(LEGAL, kind="legal_aid")
    for partner in (refuge, legal):
        factories.make_agreement(partner, recorded_by=sofia)  # valid today, covers everything
    pat = factories.partner_user(refuge, "Pat")
    return {
        "case": case,
        "cara": cara,
        "sofia": sofia,
        "sofia_secret": sofia_secret,
        "pat": pat,
        "refuge": refuge,
        "legal": legal,
    }


class Walk:
    """One person's browser, on a phone; each page checked as it is shown."""

    def __init__(self, browser, live_server, name: str, found: list[str]):
        self.context = browser.new_context(base_url=live_server.url, viewport=PHONE)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.name = name
        self.found = found
        self.n = 0

    def check(self, what: str) -> None:
        """No sideways scroll, nothing serious for axe, and a screenshot to look at."""
        page = self.page
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        if scroll > inner:
            self.found.append(f"{self.name}/{what} ({page.url}) is {scroll} px wide at 390 px")
        self.found.extend(f"{self.name}/{what}: {p}" for p in problems(page))
        # A package is shown inside another page: its ids must not collide with the page's.
        twice = page.evaluate(DUPLICATE_IDS)
        if twice:
            self.found.append(f"{self.name}/{what}: ids used twice: {twice}")
        self.n += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{self.name}-{self.n:02d}-{what}.png"), full_page=True)

    def menu(self, item: str) -> None:
        """The main menu, folded on a phone: opened, then the item followed."""
        self.page.locator("details.nav-fold > summary").click()
        self.page.get_by_role("navigation", name="Main").get_by_role("link", name=item).click()

    def done(self, text: str) -> None:
        self.page.locator(".messages").get_by_text(text).wait_for()


def refer(page, partner: str, purpose: str, urgency: str, parts: list[str], message: str):
    page.get_by_role("link", name="Refer to a partner").click()
    page.get_by_label("Partner organisation").select_option(label=partner)
    page.get_by_label("Purpose").select_option(label=purpose)
    page.get_by_label("Urgency").select_option(label=urgency)
    page.get_by_label("Message to the partner").fill(message)
    group = page.get_by_role("group", name="Parts of the file to send")
    for part in parts:
        group.get_by_label(part, exact=True).check()


def package_sections(page) -> set[str]:
    return set(
        page.locator(".package-frame [data-section]").evaluate_all(
            "els => els.map(e => e.dataset.section)"
        )
    )


def test_refer_consent_override_answer_and_withdraw(browser, live_server, world):
    case, refuge, legal = world["case"], world["refuge"], world["legal"]
    case_url = reverse("cases:detail", args=[case.pk])
    found: list[str] = []
    housing = str(Purpose.HOUSING.label)

    # 1. Cara refers to the refuge: previewed, then refused for want of consent.
    cara = Walk(browser, live_server, "cara", found)
    page = cara.page
    signed_in(page, world["cara"].email, factories.PASSWORD)
    page.goto(case_url)
    cara.check("case")
    refer(
        page,
        REFUGE,
        housing,
        "Routine",
        ["Identity", "Needs", "Safety and contact rules"],
        "She needs a refuge place this week; please call her on the safe number.",
    )
    cara.check("refer-form")
    page.get_by_role("button", name="Save the draft and preview").click()
    cara.done("Draft saved")
    preview = page.locator(".package-frame")
    assert package_sections(page) == {"identity", "needs", "safe_contact"}
    assert preview.get_by_text(NEEDS).is_visible()
    assert preview.get_by_text("Amira").count() >= 1
    assert preview.get_by_text(re.compile(r"\+3260000")).count() == 0  # contact details: no
    cara.check("preview")
    page.get_by_role("button", name="Send to the partner").click()
    refusal = page.get_by_role("alert")
    refusal.get_by_text("It cannot be sent yet").wait_for()
    assert refusal.get_by_text(
        f"The person has not given consent, valid today, to share with {REFUGE}"
    ).is_visible()
    cara.check("refused")
    first = Referral.objects.get(partner=refuge)
    assert first.status == Referral.Status.DRAFT and not first.package

    # 2. From the refusal, she records the consent, and sends again: it goes.
    refusal.get_by_role("link", name="record their consent to share").click()
    page.get_by_role("heading", name="Record a consent to share").wait_for()
    page.get_by_role("group", name="Who may receive the information?").get_by_label(
        "This organisation"
    ).check()
    page.get_by_label(re.compile("^The organisation")).select_option(label=REFUGE)
    page.get_by_role("group", name="For what purpose?").get_by_label(housing).check()
    parts = page.get_by_role("group", name="Which parts of their file may be shared?")
    for part in ("Identity", "Needs", "Safety and contact rules"):
        parts.get_by_label(re.compile(f"^{part}:")).check()
    page.get_by_role("group", name="How was consent given?").get_by_label("Verbal").check()
    cara.check("consent-form")
    page.get_by_role("button", name="Save the consent").click()
    cara.done("Consent to share recorded.")
    # Saving goes back to the referral that asked for the consent.
    assert page.get_by_role("heading", level=1, name=f"Referral to {REFUGE}").is_visible()
    page.get_by_role("button", name="Send to the partner").click()
    cara.done(f"Referral sent to {REFUGE}.")
    assert page.get_by_role("heading", name="The package as sent").is_visible()
    assert package_sections(page) == {"identity", "needs", "safe_contact"}
    cara.check("sent")
    consent = SharingConsent.objects.get(case=case, partner=refuge)
    first.refresh_from_db()
    assert first.status == Referral.Status.SENT and first.consent == consent

    # A second referral to the refuge under the same consent: it will stay open.
    page.goto(case_url)
    refer(page, REFUGE, housing, "Urgent", ["Identity"], "Urgent: she has to leave tonight.")
    page.get_by_role("button", name="Save the draft and preview").click()
    page.get_by_role("button", name="Send to the partner").click()
    cara.done(f"Referral sent to {REFUGE}.")
    second = Referral.objects.get(partner=refuge, urgency="urgent")
    assert second.status == Referral.Status.SENT and second.consent == consent

    # 3. To the legal-aid centre, without consent: a legal override, asked for by Cara...
    page.goto(case_url)
    refer(
        page,
        LEGAL,
        str(Purpose.LEGAL.label),
        "Urgent",
        ["Identity", "Contact details"],
        "A protection order hearing is tomorrow; she needs a lawyer to call her.",
    )
    page.get_by_role("button", name="Save the draft and preview").click()
    page.get_by_role("link", name="Ask for a legal override").click()
    page.get_by_role("group", name="Legal ground").get_by_label(
        "Imminent danger to someone's life"
    ).check()
    page.get_by_label("Why it cannot wait for the person's consent").fill(
        "He threatened to kill her at the hearing; she cannot be reached to consent before it."
    )
    cara.check("override-form")
    page.get_by_role("button", name="Ask a supervisor").click()
    cara.done("Sent for approval.")
    third = Referral.objects.get(partner=legal)
    assert third.status == Referral.Status.AWAITING_APPROVAL
    # ...who cannot approve it herself: no decision on her page, and a forged one is refused.
    assert page.get_by_label("Approve and send now").count() == 0
    assert page.get_by_role("button", name="Record the decision").count() == 0
    cara.check("awaiting")
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    forged = page.request.post(
        reverse("referrals:referral_decide", args=[case.pk, third.pk]),
        form={"csrfmiddlewaretoken": token, "decision": "approve", "note": ""},
        max_redirects=0,
    )
    assert forged.status in (403, 404), forged.status
    third.refresh_from_db()
    assert third.status == Referral.Status.AWAITING_APPROVAL and third.sent_at is None

    # Sofia sees it waiting on the network dashboard, opens it and approves it: it is sent.
    sofia = Walk(browser, live_server, "sofia", found)
    board = sofia.page
    sign_in(board, world["sofia"].email, factories.PASSWORD)
    board.get_by_label("Code").fill(factories.totp_code(world["sofia_secret"]))
    board.get_by_role("button", name=re.compile("Sign In|Sign in")).click()
    board.get_by_role("heading", name=re.compile("Welcome")).wait_for()
    sofia.menu("Partner network")
    waiting = board.get_by_role("table", name="Referrals awaiting a supervisor's approval")
    assert (
        waiting.get_by_role("row").filter(has_text=case.reference).filter(has_text=LEGAL).count()
        == 1
    )
    sofia.check("dashboard")
    waiting.get_by_role("link", name=case.reference).click()
    board.get_by_role("heading", level=1, name=f"Referral to {LEGAL}").wait_for()
    board.get_by_role("group", name="Decision").get_by_label("Approve and send now").check()
    sofia.check("decide")
    board.get_by_role("button", name="Record the decision").click()
    sofia.done("Override approved: the referral has been sent.")
    third.refresh_from_db()
    assert third.status == Referral.Status.SENT and third.override_decided_by == world["sofia"]
    assert third.consent is None

    # 4. Pat, at the refuge, sees the two referrals, accepts the first and closes it.
    pat = Walk(browser, live_server, "pat", found)
    inbox = pat.page
    signed_in(inbox, world["pat"].email, factories.PASSWORD)
    pat.menu("Referrals")
    rows = inbox.get_by_role("table").locator("tbody tr")
    assert rows.count() == 2  # the refuge's two; the legal centre's is not theirs
    pat.check("inbox")
    rows.filter(has_text="Routine").get_by_role("link").click()
    package = inbox.locator("section.package")
    assert package.get_by_text(NEEDS).is_visible()
    assert package.get_by_text("She needs a refuge place this week").is_visible()
    pat.check("received")
    inbox.get_by_role("button", name="Accept the referral").click()
    pat.done("Referral accepted.")
    inbox.get_by_role("textbox", name="Outcome").fill(
        "A place was found at our house; she moved in with both."
    )
    pat.check("outcome-form")
    inbox.get_by_role("button", name="Record the outcome").click()
    pat.done("Outcome recorded.")
    first.refresh_from_db()
    assert first.status == Referral.Status.COMPLETED
    assert rows.count() == 1
    rows.get_by_role("link").click()  # the urgent one, still open
    inbox.get_by_role("button", name="Accept the referral").wait_for()
    open_url = inbox.url

    # 5. The person withdraws their consent: the referral open under it ends at once.
    page.goto(case_url)
    page.locator("#section-sharing_consents").get_by_role(
        "link", name=re.compile("^Withdraw")
    ).click()
    assert page.get_by_text("1 referral made under this consent is revoked at once").is_visible()
    cara.check("withdraw")
    page.get_by_role("button", name="Withdraw the consent").click()
    cara.done("Consent withdrawn.")
    assert page.get_by_text("1 referral made under it was revoked").is_visible()
    second.refresh_from_db()
    assert second.status == Referral.Status.REVOKED
    assert second.revoked_because == Referral.RevokedBecause.CONSENT_WITHDRAWN
    third.refresh_from_db()  # the override's referral was not under the consent
    assert third.status == Referral.Status.SENT
    response = inbox.goto(open_url)
    assert response.status == 404
    pat.check("received-gone")
    inbox.goto(reverse("referrals:inbox"))
    assert inbox.get_by_text("No referral is waiting for you.").is_visible()
    pat.check("inbox-empty")

    for walk in (cara, sofia, pat):
        walk.context.close()
    assert not found, "\n".join(found)
