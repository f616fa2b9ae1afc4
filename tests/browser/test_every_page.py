"""Every page, as each role, fits a phone (390 px), a tablet (768 px) and a desk (1280 px)
without scrolling sideways, and axe-core finds no serious or critical problem on it.

The pages come from the URL resolver, not from a list: each pattern's parameters are filled
with real ids from the demo data (a case, a draft intake, an assessment, a plan action, an
export job, a duplicate match, a training record, each dashboard tile and intake step), so a
page added later is opened without editing this test. A pattern whose parameter has no sample
here is still requested, with a well-formed id; it then answers 404 and the summary says so.

Each role's account signs in by a session cookie (the login pages are tested elsewhere), asks
for every URL once through Django's test client to learn its answer (403, 404 and 405 are
counted and skipped; downloads and other non-HTML answers too; redirects are followed), and
opens each page that answered with HTML in one browser context, resized to each width.
Screenshots go to $PAGE_SCREENSHOTS (default: <tmp>/every-page/), one folder per role, with
report.txt: what each role was answered, and the findings."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import axe_playwright_python
import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from cases import exports
from cases.intake import STEPS, draft_start
from cases.levels import RiskLevel
from cases.models import Case, Consent, Document, DuplicateMatch, IntakeDraft
from demo.seed import seed_demo
from premises.models import (
    AssessmentStatus,
    Drill,
    EscapePlan,
    Finding,
    PageStatus,
    PlanStatus,
    PremisesIncident,
    SafetyPage,
    SecurityAssessment,
    SensitiveTerm,
    Site,
    SiteAction,
    SitePhoto,
)
from referrals import services as referral_services
from referrals.models import Agreement, PartnerOrganisation
from risk import dashboard as risk_dashboard
from risk import services as risk_services
from risk.models import Assessment, InstrumentVersion, SafetyAction, TrainingRecord
from tests import factories
from tests.browser.conftest import SERIOUS
from victimsupport.access import Role
from victimsupport.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 768, 1280)
# EVERY_PAGE_ONLY=premises (a regular expression on "namespace:name") checks those pages only.
ONLY = re.compile(os.environ.get("EVERY_PAGE_ONLY") or "")
SHOTS = Path(os.environ.get("PAGE_SCREENSHOTS") or Path(tempfile.gettempdir()) / "every-page")
AXE_SOURCE = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text()


# --- The pages, from the resolver ------------------------------------------------------------

_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^)]*)\)")
_SAMPLE = {"int": "1", "uuid": "00000000-0000-4000-8000-000000000000", "slug": "x", "str": "x"}


@dataclass
class Pattern:
    name: str  # "namespace:name"
    route: str  # with {param} placeholders
    params: dict[str, list[str]] = field(default_factory=dict)  # built-in candidates
    model: Any = None  # the admin's model, for its object pages


def _pieces(p: URLPattern | URLResolver) -> tuple[str, dict[str, list[str]]]:
    """The pattern as a template with {param} holes, and the values it offers itself: a regex
    alternation (the admin's app labels), else a well-formed stand-in for its converter."""
    route = getattr(p.pattern, "_route", None)
    found: dict[str, list[str]] = {}
    if route is not None:

        def hole(m: re.Match[str]) -> str:
            found[m["name"]] = [_SAMPLE.get(m["conv"] or "str", "x")]
            return "{" + m["name"] + "}"

        return _PARAM.sub(hole, route), found

    def group(m: re.Match[str]) -> str:
        body = m["body"]
        found[m["name"]] = body.split("|") if re.fullmatch(r"[\w|-]+", body) else ["x"]
        return "{" + m["name"] + "}"

    regex = _GROUP.sub(group, p.pattern.regex.pattern)
    return regex.lstrip("^").rstrip("$").replace("\\", ""), found


def patterns(resolvers=None, prefix: str = "", ns: str = "", params=None) -> Iterator[Pattern]:
    for p in get_resolver().url_patterns if resolvers is None else resolvers:
        piece, found = _pieces(p)
        merged = {**(params or {}), **found}
        if isinstance(p, URLResolver):
            inner = f"{ns}{p.namespace}:" if p.namespace else ns
            yield from patterns(p.url_patterns, prefix + piece, inner, merged)
        elif p.name:
            admin = getattr(p.callback, "model_admin", None)
            yield Pattern(
                f"{ns}{p.name}", "/" + prefix + piece, merged, admin.model if admin else None
            )


def urls_of(pattern: Pattern, samples: dict[str, list[str]]) -> list[list[str]]:
    """Every way of filling ``pattern`` with the demo's ids, or a well-formed stand-in: a list
    of pages, each a list of alternative URLs for it (``pk`` is a case or a draft intake)."""
    choices = []
    for name, own in pattern.params.items():
        if name == "object_id" and pattern.model is not None:
            first = pattern.model._default_manager.order_by("pk").first()
            values = [str(first.pk)] if first is not None else own
        else:
            values = samples.get(name, own)
        if name in ALTERNATIVES:
            choices.append([[(name, v) for v in values]])
        else:
            choices.append([[(name, v)] for v in values])
    pages = []
    for combo in itertools.product(*choices):
        pages.append([pattern.route.format(**dict(pick)) for pick in itertools.product(*combo)])
    return pages


# Parameters whose samples are alternatives (the first that is found is the page); the others
# give one page per sample (each dashboard tile, each intake step).
ALTERNATIVES = {"pk"}


# --- The demo data, with one of everything a URL can name -------------------------------------


def demo_world() -> tuple[dict[str, User | None], dict[str, list[str]]]:
    seed_demo()
    users = {
        "caseworker": User.objects.get(email="caseworker@demo.example"),
        "supervisor": User.objects.get(email="supervisor@demo.example"),
        "data-protection-officer": User.objects.get(email="dpo@demo.example"),
        "auditor": User.objects.get(email="auditor@demo.example"),
        "administrator": User.objects.get(email="admin@demo.example"),
    }
    # A partner organisation's user, with an open referral of the North case below to read.
    refuge = factories.make_partner("Every-page refuge")
    users["partner"] = factories.partner_user(refuge)
    assert {u.groups.get().name for u in users.values()} == set(Role.values)
    for user in users.values():
        factories.with_totp(user)  # the roles that need a second factor have one
    cara, sam = users["caseworker"], User.objects.get(email="south.caseworker@demo.example")

    # The North case with a plan and actions; a draft assessment on it; an export job; the same
    # person taken in by South (a duplicate for North's supervisor); a half-done intake.
    case = (
        Case.objects.filter(team__name="North team", risk_level=RiskLevel.HIGH)
        .exclude(safety_plan=None)
        .order_by("opened_at")
        .first()
    )
    final = Assessment.objects.filter(case=case).first()
    version = InstrumentVersion.objects.get(instrument__key="default", status="published")
    draft_assessment = risk_services.assessment_start(case=case, actor=cara, version=version)
    job = exports.request_export(case=case, user=cara)
    factories.make_full_case(
        sam,
        given_name=case.victim.given_name,
        family_name=case.victim.family_name,
        phone=case.victim.phone,
    )
    draft = IntakeDraft.objects.filter(owner=cara).first() or draft_start(
        owner=cara, team=cara.teams.get()
    )
    referral = factories.sent_referral(case, refuge, by=cara)
    # A draft referral of the case, so that its pages (and the package preview) are opened.
    partner = factories.make_partner()
    factories.make_agreement(partner)
    draft_referral = referral_services.referral_draft(
        case=case,
        actor=cara,
        partner=partner,
        purpose="safety",
        urgency="routine",
        message="Please call her on the safe phone.",
        categories=["identity", "needs", "safety"],
    )
    samples = {
        # A case, a draft intake, a referral (the partner's received page, the protected PDF)
        # or a partner (its users): the first that answers is the page.
        "pk": [case.pk, draft.pk, referral.pk, refuge.pk],
        "case_pk": [case.pk],
        # A draft, and one sent (its page offers to record the partner's answer and to hand
        # the package over as a protected PDF).
        "referral_id": [draft_referral.pk, referral.pk],
        "assessment_id": [final.pk, draft_assessment.pk],
        "consent_id": [c.pk for c in Consent.objects.filter(case=case)[:1]],
        "document_id": [d.pk for d in Document.objects.filter(case=case)[:1]],
        "action_id": [a.pk for a in SafetyAction.objects.filter(plan__case=case)[:1]],
        "job_id": [job.pk],
        "match_id": [m.pk for m in DuplicateMatch.objects.all()[:1]],
        "record_id": [t.pk for t in TrainingRecord.objects.filter(user=cara)[:1]],
        "partner_id": [p.pk for p in PartnerOrganisation.objects.order_by("pk")[:1]],
        "agreement_id": [a.pk for a in Agreement.objects.order_by("pk")[:1]],
        "tile": list(risk_dashboard.DRILLDOWNS),
        "step": STEPS,
        **premises_samples(),
    }
    return {"anonymous": None, **users}, {k: [str(v) for v in vs] for k, vs in samples.items()}


def premises_samples() -> dict[str, list[Any]]:
    """The demo's office and refuge, and one of each of their records: an assessment signed
    off (the office's) and a draft (the refuge's reassessment), an approved escape plan and
    the draft of the next, a published safety page and one waiting for review. A page below a
    site is opened once per site; the pairs that do not belong together answer 404."""
    sites = list(Site.objects.order_by("pk"))
    assert len(sites) == 2, "the demo makes the North office and refuge"
    office = next(s for s in sites if s.kind != "refuge")

    def one(qs, **where):
        return [o.pk for o in qs.filter(**where).order_by("pk")[:1]]

    return {
        "site_id": [s.pk for s in sites],
        "security_assessment_id": one(
            SecurityAssessment.objects, status=AssessmentStatus.SIGNED_OFF
        )
        + one(SecurityAssessment.objects, status=AssessmentStatus.DRAFT),
        "finding_id": one(Finding.objects),
        "site_action_id": one(SiteAction.objects, done_on=None),
        "photo_id": one(SitePhoto.objects),
        "plan_id": one(EscapePlan.objects, status=PlanStatus.APPROVED)
        + one(EscapePlan.objects, status=PlanStatus.DRAFT),
        "drill_id": one(Drill.objects),
        "incident_id": one(PremisesIncident.objects),
        "page_id": one(SafetyPage.objects, status=PageStatus.PUBLISHED)
        + one(SafetyPage.objects, status=PageStatus.SUBMITTED),
        "term_id": one(SensitiveTerm.objects),
        "public_id": [office.public_id],
    }


# --- What each role is answered ---------------------------------------------------------------


def answers_for(user: User | None, every: list[tuple[Pattern, list[str]]], outcomes):
    """The pages to open ({url: pattern name}), the counts of the other answers, and the
    signed-in client; ``outcomes`` collects each pattern's answers over the roles."""
    client = Client()
    if user is not None:
        client.force_login(user)
    pages: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for pattern, alternatives in every:
        for url in alternatives:
            response = client.get(url, follow=True)
            if response.status_code != 404:
                break
        final = response.request["PATH_INFO"]
        if response.status_code != 200:
            outcome = str(response.status_code)
        elif not response.get("Content-Type", "").startswith("text/html"):
            outcome = "not a page"
        elif final in pages:
            outcome = "same page"
        else:
            outcome = "page"
            pages[final] = pattern.name if final == url else f"{pattern.name} (redirected)"
        outcomes.setdefault(pattern.name, set()).add(outcome)
        if outcome != "page":
            counts[outcome] += 1
    return pages, counts, client


def session_cookie(client: Client, url: str) -> list[dict[str, str]]:
    if settings.SESSION_COOKIE_NAME not in client.cookies:
        return []
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [{"name": settings.SESSION_COOKIE_NAME, "value": value, "url": url}]


def slug(url: str) -> str:
    return re.sub(r"[^\w-]+", "_", url.strip("/")) or "home"


AXE_RUN = "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
_IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+")


def kind_of(url: str) -> str:
    """The same page with other ids: axe and the screenshots need it once, whoever opens it."""
    return _IDS.sub("#", url)


def check_page(page, url: str, shots: Path | None, axe: bool) -> list[str]:
    """Width at each size, for every page; axe-core (at 390 px, where the most folds) and
    screenshots for the first role that opens a kind of page."""
    found = []
    page.goto(url)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        if scroll > inner:
            found.append(f"{width} px: the page is {scroll} px wide")
        if axe and width == WIDTHS[0]:
            page.evaluate(AXE_SOURCE)
            for v in page.evaluate(AXE_RUN):
                if v.get("impact") in SERIOUS:
                    targets = [n["target"] for n in v["nodes"]][:3]
                    found.append(f"axe {v['id']} ({v['impact']}): {v['help']} at {targets}")
        if shots is not None:
            page.screenshot(
                path=str(shots / f"{slug(url)}-{width}.jpg"), full_page=True, quality=70
            )
    return found


def check_menu(page, shots: Path) -> list[str]:
    """On a phone the header's navigation is one "Menu" that opens without JavaScript."""
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    if links.count() != 0:
        return ["390 px: the navigation is not folded"]
    page.locator(".nav-fold > summary").click()
    shown = links.count()
    page.screenshot(path=str(shots / f"menu-open-{WIDTHS[0]}.jpg"), quality=70)
    small = page.evaluate(
        "[...document.querySelectorAll('.nav-fold a, .nav-fold button')]"
        ".map(e => e.getBoundingClientRect()).filter(r => r.height && r.height < 44).length"
    )
    page.locator(".nav-fold > summary").click()
    return [f"390 px: the opened menu shows {shown} links"] * (shown == 0) + [
        f"390 px: {small} menu items are under 44 px tall"
    ] * bool(small)


def premises_pages_are_not_south_s(every: list[tuple[Pattern, list[str]]]) -> None:
    """Another team's caseworker (South's Sam) is answered 404 by every page of North's sites
    (405 by the actions that take a POST only: a GET is refused before anything is fetched)."""
    sam = User.objects.get(email="south.caseworker@demo.example")
    below_a_site = [(p, urls) for p, urls in every if "site_id" in p.params]
    client = Client()
    client.force_login(sam)
    answered = {url: client.get(url).status_code for _, urls in below_a_site for url in urls}
    assert answered and set(answered.values()) <= {404, 405}, {
        u: c for u, c in answered.items() if c not in (404, 405)
    }


def test_every_page_fits_every_width_for_every_role(browser, live_server):
    started = time.monotonic()
    users, samples = demo_world()
    every = [(p, urls) for p in patterns() for urls in urls_of(p, samples)]
    assert len({p.name for p, _ in every}) > 40  # the resolver was walked
    every = [(p, urls) for p, urls in every if ONLY.search(p.name)]
    premises_pages_are_not_south_s(every)
    problems: dict[tuple[str, str, str], list[str]] = {}
    summary = []
    seen: set[str] = set()
    outcomes: dict[str, set[str]] = {}
    for role, user in users.items():
        pages, counts, client = answers_for(user, every, outcomes)
        shots = SHOTS / role
        shutil.rmtree(shots, ignore_errors=True)
        shots.mkdir(parents=True)
        context = browser.new_context(base_url=live_server.url)
        context.add_cookies(session_cookie(client, live_server.url))
        page = context.new_page()
        page.set_default_timeout(30_000)
        axed = 0
        for url, name in pages.items():
            # Each role's home page is its own; other pages look alike for every role that
            # opens them, and are checked by axe and photographed once.
            first = kind_of(url) not in seen or url == "/"
            seen.add(kind_of(url))
            # The administration is Django's own pages: they are held to the widths, not to
            # axe (its findings are in Django's templates and widgets, not ours to patch).
            axe = first and not name.startswith("admin:")
            axed += axe
            found = check_page(page, url, shots if first else None, axe)
            if url == "/" and user is not None:
                found += check_menu(page, shots)
            if found:
                problems[(role, name, url)] = found
        context.close()
        summary.append(
            f"{role}: {len(pages)} pages x {len(WIDTHS)} widths, axe on {axed}; skipped: "
            + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        )
    # A pattern no role could open: a download, a POST-only action, a link that needs a secret
    # (a password-reset key), or a parameter this test has no sample for (add one above).
    unopened = {n: sorted(o) for n, o in outcomes.items() if not o & {"page", "same page"}}
    summary.append("opened by no role: " + "; ".join(f"{n} {o}" for n, o in unopened.items()))
    summary.append(f"{time.monotonic() - started:.0f} s")
    report = "\n".join(
        f"{role} {name} {url}\n  " + "\n  ".join(found)
        for (role, name, url), found in problems.items()
    )
    (SHOTS / "report.txt").write_text("\n".join(summary) + "\n\n" + report + "\n")
    print("\n".join(summary))
    assert not problems, report
