"""A person's access request walked in the browser, on a phone (390 px), from logging to delivery:

1. Dana, the data-protection officer, logs Amira's request for her case, checks her identity and
   makes the draft: the name of the man Amira fears, in a note, is suggested for redaction; Dana
   applies it (and decides every other suggestion), confirms the document, sends it for review;
2. Sofia, the supervisor of the case's team, signs it off (Dana could not: she prepared it);
3. Dana has the final PDF made by the background worker, records the passphrase as sent by
   text (the case's safe method) and makes the one-time link;
4. a browser signed in as no one opens the link (its secret after "#"), downloads the PDF: it
   opens only with the passphrase, holds the person's own words and nowhere the feared name,
   in its text or its decrypted content streams; the link refuses a second use, and the page
   has its quick-exit button.

Every page fits 390 px without sideways scrolling. Screenshots go to
test-results/access-request-walk/.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from pypdf import PdfReader

from cases import services as case_services
from cases.models import ContactPreference, ThirdParty
from dataprotection.models import AccessRequest, Redaction, RedactionStatus, RequestStatus
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "access-request-walk"
FEARED = "Marek Kowalczyk"
NOTE = f"{FEARED} came to the door again last night. She wants the locks changed."
NEEDS = "Needs a locksmith and a new phone number."


@pytest.fixture
def world():
    north = factories.make_team("North")
    cara = factories.caseworker(north, "Cara")
    sofia = factories.supervisor(north, "Sofia")
    dana = factories.dpo("Dana")
    case = factories.make_full_case(cara, given_name="Amira", family_name="Haddad")
    needs = case.needs.get()
    needs.categories, needs.details = ["housing"], NEEDS
    needs.save()
    ThirdParty.objects.create(case=case, role="feared", name=FEARED)
    case_services.note_add(case=case, actor=cara, body=NOTE)
    case_services.document_add(
        case=case,
        actor=cara,
        name="letter.pdf",
        content_type="application/pdf",
        data=factories.blank_pdf(),
    )
    ContactPreference.objects.update_or_create(
        case=case, method="text", defaults={"is_safe": True, "safe_times": "Weekdays, 9 to 12"}
    )
    return {"case": case, "sofia": sofia, "dana": dana}


class Walk:
    """One browser, on a phone; each page checked and photographed as it is shown."""

    def __init__(self, browser, live_server, name: str, found: list[str]):
        self.context = browser.new_context(
            base_url=live_server.url, viewport=PHONE, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.name, self.found, self.n = name, found, 0

    def sign_in(self, user) -> None:
        page = self.page
        sign_in(page, user.email, factories.PASSWORD)
        page.get_by_label("Code").fill(factories.totp_code(factories.totp_secret(user)))
        page.get_by_role("button", name=re.compile("Sign In|Sign in")).click()
        page.get_by_role("heading", name=re.compile("Welcome")).wait_for()

    def check(self, what: str) -> None:
        page = self.page
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > PHONE["width"]:
            self.found.append(f"{self.name}/{what} ({page.url}) is {scroll} px wide at 390 px")
        self.n += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{self.name}-{self.n:02d}-{what}.png"), full_page=True)

    def done(self, text: str) -> None:
        self.page.locator(".messages").get_by_text(text).wait_for()


def pdf_reader(content: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(content))


def test_a_request_goes_from_logging_to_a_protected_copy_without_the_feared_name(
    browser, live_server, world
):
    case, sofia, dana_user = world["case"], world["sofia"], world["dana"]
    found: list[str] = []

    # 1. Dana logs the request from the data-protection dashboard.
    dana = Walk(browser, live_server, "dana", found)
    page = dana.page
    dana.sign_in(dana_user)
    page.goto(reverse("dataprotection:dashboard"))
    dana.check("dashboard")
    page.goto(reverse("dataprotection:requests"))
    dana.check("requests")
    page.get_by_role("link", name="Log a request").click()
    page.get_by_role("heading", name="Log a request from a person").wait_for()
    page.get_by_label("Received on").fill(str(case.opened_at.date()))
    page.get_by_label("How it came in").select_option(label="In person")
    page.get_by_label("Name of the person asking").fill("Amira Haddad")
    page.get_by_label("Case references").fill(case.reference)
    page.get_by_label("Language of the copy").select_option(label="English")
    dana.check("log")
    page.get_by_role("button", name="Log the request").click()
    page.get_by_role("heading", name=re.compile("^Request DP-")).wait_for()
    request = AccessRequest.objects.get()
    assert request.status == RequestStatus.RECEIVED and not request.feared_match
    assert page.get_by_role("link", name="Prepare the copy").count() == 0  # identity first
    dana.check("request-received")

    # Her identity, then the draft.
    page.get_by_role("group", name="How their identity was checked").get_by_label(
        "Identity document seen in person"
    ).check()
    page.get_by_role("button", name="Record the check").click()
    page.get_by_role("link", name="Prepare the copy").click()
    page.get_by_role("heading", name="Preparing the copy").wait_for()
    dana.check("prepare-empty")
    page.get_by_role("button", name="Make the draft").click()
    page.locator("ol.copy-items").wait_for()

    # The feared man's name is suggested wherever it stands; she applies it, and removes the
    # suggestions of other names (staff), one at a time, until none waits.
    suggested = page.locator("table.redactions tbody tr").filter(has=page.locator("mark"))
    assert suggested.filter(has_text=FEARED).count() >= 1
    dana.check("prepare-suggested")
    while suggested.count():
        row = suggested.first
        kind = row.locator("td").nth(1).inner_text()
        feared = kind == "The person they fear" or row.locator("mark").inner_text() in FEARED
        row.get_by_role("button", name="Apply" if feared else "Remove").click()
        page.locator("ol.copy-items").wait_for()
    assert Redaction.objects.filter(
        request=request, status=RedactionStatus.APPLIED, kind="feared"
    ).exists()
    # The document cannot be searched: checked by eye and confirmed.
    while page.get_by_role("button", name="Confirm: it may go as it is").count():
        page.get_by_role("button", name="Confirm: it may go as it is").first.click()
        page.locator("ol.copy-items").wait_for()
    assert page.get_by_text("0 suggested redactions to decide.").is_visible()
    dana.check("prepare-decided")
    page.get_by_role("button", name="Send for review").click()
    page.get_by_role("heading", name="Reviewing the copy").wait_for()
    # She prepared it: she cannot sign it off.
    assert page.get_by_role("button", name="Sign off").count() == 0
    dana.check("review-waiting")
    page.get_by_role("link", name="Redaction log").first.click()
    assert FEARED not in page.locator("main").inner_text()  # who, when, kind: never what
    dana.check("redaction-log")

    # 2. Sofia, supervising the case's team, reads the copy as it will go and signs it off.
    sofia_walk = Walk(browser, live_server, "sofia", found)
    review = sofia_walk.page
    sofia_walk.sign_in(sofia)
    review.goto(reverse("dataprotection:copy_review", args=[request.pk]))
    copy_text = review.locator(".copy-review").inner_text()
    assert FEARED not in copy_text and "Kowalczyk" not in copy_text
    assert "She wants the locks changed." in copy_text
    sofia_walk.check("review")
    review.locator("form[action$='/sign-off/']").get_by_role("button", name="Sign off").click()
    review.get_by_text(re.compile("^Signed off by")).wait_for()
    sofia_walk.check("signed-off")
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and request.reviewed_by == sofia

    # 3. Dana delivers it: the worker makes the final PDF, she sends the passphrase by text.
    page.goto(reverse("dataprotection:request", args=[request.pk]))
    page.get_by_role("link", name="Deliver the copy").click()
    dana.check("delivery")
    page.get_by_role("button", name="Make the final PDF").click()
    dana.done("The final PDF is being made")
    dana.check("delivery-making")
    factories.run_worker()
    page.goto(reverse("dataprotection:delivery", args=[request.pk]))
    passphrase = page.locator("#passphrase-title ~ .passphrase code").inner_text().strip()
    assert re.fullmatch(r"[a-z0-9]{4}(-[a-z0-9]{4})+", passphrase), passphrase
    dana.check("delivery-passphrase")
    page.get_by_role("group", name="How the passphrase was sent").get_by_label(
        "Text message", exact=False
    ).first.check()
    page.get_by_role("button", name="Record that it was sent").click()
    page.get_by_role("button", name="Make the one-time link").click()
    link = page.locator("#link-title ~ .passphrase code").inner_text().strip()
    dana.check("delivery-link")
    parts = urlsplit(link)
    assert parts.path.startswith("/copy/") and parts.fragment

    # 4. The person, signed in nowhere, opens the link and downloads her file, once.
    person = Walk(browser, live_server, "person", found)
    public = person.page
    public.goto(f"{parts.path}#{parts.fragment}")
    public.get_by_role("heading", name="Your file").wait_for()
    assert public.locator("#quick-exit").is_visible()
    assert parts.fragment not in public.url  # taken out of the address bar
    person.check("public")
    with public.expect_download() as info:
        public.get_by_role("button", name="Download my file").click()
    content = Path(info.value.path()).read_bytes()
    assert content.startswith(b"%PDF-")
    assert FEARED.encode() not in content

    locked = pdf_reader(content)
    assert locked.is_encrypted
    assert not locked.decrypt("not-the-passphrase")
    reader = pdf_reader(content)
    assert reader.decrypt(passphrase)
    text = " ".join(p.extract_text() for p in reader.pages)
    flat = " ".join(text.split())
    for name in (FEARED, "Kowalczyk", "Marek"):
        assert name not in flat, name
    assert "locks changed" in flat  # the rest of the note
    assert "locksmith" in flat  # her needs, in her words
    streams = b"".join(p.get_contents().get_data() for p in reader.pages if p.get_contents())
    for name in (FEARED, "Kowalczyk"):
        assert name.encode() not in streams
        assert name.encode("utf-16-be") not in streams

    again = Walk(browser, live_server, "again", found)
    again.page.goto(f"{parts.path}#{parts.fragment}")
    again.page.get_by_role("button", name="Download my file").click()
    again.page.get_by_role("alert").wait_for()
    assert again.page.locator("#quick-exit").is_visible()
    again.check("public-used")
    request.refresh_from_db()
    assert request.status == RequestStatus.DELIVERED

    for walk in (dana, sofia_walk, person, again):
        walk.context.close()
    assert not found, "\n".join(found)
