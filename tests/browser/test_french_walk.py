"""Issue 11, done: French chosen on the sign-in page, then a whole intake, risk assessment
and safety plan in French at 390 px, with no English sentence of the app's on the way; and the
person's copy of the plan in their language when the caseworker works in English."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest
from django.utils import translation
from pypdf import PdfReader

from demo.seed import seed_demo
from risk import engine, services
from risk.models import InstrumentVersion
from tests import factories
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PO = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def catalogue() -> list[dict]:
    """The French catalogue's entries: locations, msgid, msgstr (plural forms: the first)."""
    entries, entry, field = [], None, None
    for line in [*PO.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry and entry.get("msgid"):
                entries.append(entry)
            entry, field = None, None
            continue
        entry = entry if entry is not None else {"locations": [], "msgid": "", "msgstr": ""}
        if line.startswith("#:"):
            entry["locations"] += [loc.split(":")[0] for loc in line[2:].split()]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if field:
                entry[field] += ast.literal_eval(line)
        else:
            keyword, _, value = line.partition(" ")
            field = {"msgid": "msgid", "msgstr": "msgstr", "msgstr[0]": "msgstr"}.get(keyword)
            if field:
                entry[field] = ast.literal_eval(value)
    return entries


def english_sentences(entries: list[dict]) -> set[str]:
    """The app's English phrases of three words or more that French says otherwise: each
    msgid's literal parts between placeholders."""
    found = set()
    for e in entries:
        if e["msgstr"] == e["msgid"] or "<" in e["msgid"]:
            continue
        for part in PLACEHOLDER.split(e["msgid"]):
            part = " ".join(part.split()).strip(" .,:;()")
            if len(part.split()) >= 3:
                found.add(part)
    return found


ENTRIES = catalogue()
ENGLISH = english_sentences(ENTRIES)


def fr(text: str, context: str | None = None) -> str:
    """The French the app shows for ``text``: the test finds fields by their French labels."""
    with translation.override("fr"):
        return translation.pgettext(context, text) if context else translation.gettext(text)


def choose(page, group: str, option: str) -> None:
    page.get_by_role("group", name=fr(group)).get_by_label(fr(option), exact=True).check()


def save(page) -> None:
    page.get_by_role("button", name=fr("Save and continue")).click()


def english_on(page) -> list[str]:
    # The header's whole text, the folded menu's included; the main part as shown.
    text = " ".join((page.text_content("header") or "").split() + page.inner_text("main").split())
    return sorted(s for s in ENGLISH if s in text)


def test_a_whole_intake_assessment_and_plan_in_french_at_390px(browser, live_server, shot):
    passwords = {a.email: a.password for a in seed_demo()}
    definition = InstrumentVersion.objects.get(instrument__key="default").localised("fr")
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(5_000)
    english: dict[str, list[str]] = {}
    n = iter(range(1, 100))

    def check(name: str) -> None:
        """html lang is French and no English sentence is shown; a screenshot of the step."""
        page.wait_for_load_state()
        step = f"french-walk-{next(n):02d}-{name}"
        assert page.get_attribute("html", "lang") == "fr", step
        if found := english_on(page):
            english[step] = found
        shot(page, step)

    page.goto("/accounts/login/")
    page.get_by_role("button", name="Français").click()
    page.get_by_role("heading", name="Se connecter").wait_for()
    check("sign-in")
    page.get_by_label("E-mail").fill("caseworker@demo.example")
    page.get_by_label("Mot de passe").fill(passwords["caseworker@demo.example"])
    page.get_by_role("button", name="Se connecter").click()
    page.locator("details.nav-fold > summary").wait_for()
    check("home")

    # The intake, from the folded menu.
    page.locator("details.nav-fold > summary").click()
    page.get_by_role("navigation", name=fr("Main")).get_by_role("link", name=fr("Intake")).click()
    check("intake-list")
    page.get_by_role("button", name=fr("Start a new intake")).click()

    page.get_by_role("heading", name=fr("Safety first")).wait_for()
    choose(page, "Is it safe for them to talk now?", "Yes")
    phone = fr("Phone call")
    page.get_by_label(fr("{method} is safe").format(method=phone)).check()
    page.get_by_label(fr("{method}: safe times or conditions").format(method=phone)).fill("9 h")
    check("safety")
    save(page)

    page.get_by_role("heading", name=fr("Confidentiality"), exact=True).wait_for()
    choose(page, "How was the notice given?", "Read aloud and acknowledged verbally")
    page.get_by_label(fr("They have heard or read the notice and say they understand it")).check()
    check("notice")
    save(page)

    page.get_by_label(fr("Given name")).fill("Élodie")
    page.get_by_label(fr("Family name")).fill("Marchand-Dubois")
    page.get_by_label(fr("Date of birth")).fill("1988-05-21")
    page.get_by_label(fr("Phone")).fill("+32 470 12 34 56")
    page.get_by_label(fr("Name of the person they fear")).fill("Ancien compagnon")
    page.get_by_label(fr("Language for what we give them")).select_option(label=fr("French"))
    check("person")
    save(page)

    choose(page, "Is there still a threat?", "Yes")
    choose(page, "Is the harm still going on?", "Yes")
    choose(page, "Are they afraid of something happening?", "Yes")
    choose(page, "How at risk do they feel?", "Very at risk")
    page.get_by_label(fr("In their own words")).fill("Il sait où je travaille.")
    check("screening")
    save(page)

    page.get_by_label(fr("Housing or a safe place to stay")).check()
    choose(page, "Has the crime been reported?", "No (support does not depend on it)")
    check("needs")
    save(page)

    choose(page, "Do they agree that we keep and use their information to support them?", "Yes")
    choose(page, "How was consent given?", "Verbal")
    check("consent")
    save(page)

    page.get_by_role("heading", name=fr("Check and finish")).wait_for()
    check("review")
    page.get_by_role("button", name=fr("Create the case")).click()

    # The risk assessment: answered and finalised.
    page.get_by_role("button", name=fr("Start the assessment")).wait_for()
    check("assessment-start")
    page.get_by_role("button", name=fr("Start the assessment")).click()
    answers = {"strangulation": "Yes", "threats_to_kill": "Yes", "ongoing_threat": "Yes"}
    for q in engine.questions(definition):
        group = page.get_by_role("group", name=q["text"])
        if q["type"] == "yes_no_unknown":
            group.get_by_label(fr(answers.get(q["key"], "No")), exact=True).check()
        elif q["type"] == "scale":
            group.get_by_label("5", exact=True).check()
        elif q["type"] == "single":
            group.get_by_label(q["options"][0]["label"], exact=True).check()
    page.get_by_label(fr("Rationale: what the result rests on")).fill(
        "Étranglement la semaine passée."
    )
    check("assessment")
    page.get_by_role("button", name=fr("Finalise the assessment")).click()
    page.get_by_text("Un plan de sécurité est nécessaire.").first.wait_for()
    check("case-requires-plan")

    # The safety plan, with an action.
    page.get_by_role("link", name=fr("Make the safety plan")).click()
    check("plan-new")
    page.get_by_label(fr("What the plan is for")).fill("Rester en sécurité le temps de déménager.")
    page.get_by_role("button", name=fr("Create the safety plan")).click()
    page.get_by_label(fr("Type of action")).select_option(label=fr("Safe accommodation"))
    page.get_by_label(fr("What will be done")).fill("Demander une place au réseau des refuges")
    page.get_by_label(fr("Staff member responsible")).select_option(label="Cara Caseworker")
    page.get_by_role("button", name=fr("Add the action")).click()
    page.get_by_text(fr("Action added.")).wait_for()
    check("plan")

    # The person's copy.
    with page.expect_download() as download:
        page.get_by_role("link", name=fr("Print a copy for the person")).click()
    text = pdf_text(Path(download.value.path()).read_bytes())
    assert fr("My plan") in text and "Demander une place" in text
    assert [s for s in PLAN_ENGLISH if s in text] == []

    page.get_by_role("link", name=fr("Back to the case")).click()
    page.get_by_role("heading", level=1).wait_for()
    check("case")
    # The consent's purpose is stored in English and shown in the language of the page.
    assert fr("Providing support and keeping the case file") in page.inner_text("main")
    context.close()
    assert english == {}


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((p.extract_text() or "") for p in reader.pages).split())


# The English of the person's copy: every msgid of the plan's PDF templates.
PLAN_ENGLISH = sorted(
    {
        part
        for e in ENTRIES
        if {"templates/pdf/safety_plan.html", "templates/pdf/base.html"} & set(e["locations"])
        and e["msgstr"] != e["msgid"]
        for part in (" ".join(p.split()).strip(" .,:;()") for p in PLACEHOLDER.split(e["msgid"]))
        if len(part.split()) >= 2
    }
)


def test_the_copy_is_french_when_the_caseworker_works_in_english(browser, live_server):
    services.ensure_shipped_instruments()
    north = factories.make_team("North")
    cara = factories.caseworker(north)
    cara.preferred_language = "en-gb"
    cara.save(update_fields=["preferred_language"])
    case = factories.make_full_case(cara, document_language="fr")
    services.safety_plan_save(case=case, actor=cara, version=0, summary="Rester en sécurité.")
    services.safety_action_add(
        case=case,
        actor=cara,
        kind="accommodation",
        description="Demander une place au réseau des refuges",
        owner=cara,
    )
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, cara.email, PASSWORD)
    page.goto(f"/risk/cases/{case.pk}/safety-plan/")
    assert page.get_attribute("html", "lang") == "en-gb"
    assert english_on(page) != []  # the check above can fail: in English it finds English
    with page.expect_download() as download:
        page.get_by_role("link", name="Print a copy for the person").click()
    text = pdf_text(Path(download.value.path()).read_bytes())
    context.close()
    assert PLAN_ENGLISH, "the plan's English msgids were not found in the catalogue"
    assert fr("My plan") in text and fr("Safe accommodation") in text, text
    assert "Rester en sécurité." in text
    assert [s for s in PLAN_ENGLISH if s in text] == [], text
