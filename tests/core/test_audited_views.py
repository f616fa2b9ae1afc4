"""Every page of the project that shows case data writes an access entry for what it shows.

The pages are found from the URL resolver, not listed by hand: each project URL is filled in
from its own keyword arguments with real objects, requested by someone allowed to see it,
and must leave an access entry by that person for the case (or the object) it names. A page
that shows no case data is exempted below by its URL name, with the reason. A page added
later is caught here without anyone editing this file: it either audits or is exempted.

Sofia supervises North, has taken the training and asked for the export; Cara works in North.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from cases import services
from cases.models import Consent, Document, DuplicateMatch, ExportJob
from dataprotection.models import Delivery
from referrals import services as referral_services
from risk import dashboard as risk_dashboard
from risk import services as risk_services
from risk.models import Assessment
from tests import factories
from victimsupport.audit.models import AuditEntry
from victimsupport.casefile import case_models

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

# URL name: why the page needs no access entry. Narrow on purpose: one name each.
EXEMPT = {
    "healthz": "the load balancer's health check: the word ok",
    "readyz": "the load balancer's readiness check: ok, or database unavailable",
    "robots_txt": "tells search engines to keep out; the same two lines for everyone",
    "favicon": "a redirect to the tab icon",
    "account_reset_password": "the password reset form; signed-in staff, no case",
    "account_preferences": "the signed-in person's own language choice; no case",
    "home": "the start page lists the signed-in person's tasks; nothing of any case",
    "audit_log": "the log itself: who did what to which record, values redacted",
    "audit_log_export": (
        "the log as CSV, for the auditor and the DPO only (the supervisor gets 404); its own "
        "access entry is tested in tests/core/test_audit_log.py"
    ),
    "cases:list": (
        "a list across cases (reference, display name, level), not an opening of one case "
        "file; lists are not access entries in DESIGN.md"
    ),
    "cases:break_glass": "asks for a reference; the opening it leads to is audited itself",
    "cases:assign": "the case's reference and the staff to choose from, nothing of the person",
    "cases:export_status": "the export's progress only; the download is the access entry",
    "cases:intake": "the person's own drafts by date; no case is opened",
    "cases:intake_step": "the person's own draft, before it is a case; only they can open it",
    "cases:intake_finish": "writes the case (its change entries); shows nothing",
    "risk:assessment_new": "the case's reference and the instruments to choose from",
    "referrals:referral_new": "the case's reference and the partners to choose from",
    "risk:training": "staff training records, not case data",
    "risk:dashboard": "counts per level and week, and the references of possible duplicates",
    "referrals:partner_users": "a partner organisation's staff accounts; no case",
    "referrals:partner_user_add": "adds a partner organisation's staff account; no case",
    "referrals:partner_user_deactivate": "ends a partner user's access; shows nothing",
    "referrals:inbox": (
        "a partner user's list of referrals (date, urgency, purpose, status), no case content; "
        "lists are not access entries in DESIGN.md"
    ),
    "referrals:package_pdf": (
        "explains the protected PDF (the partner, the purpose and the date); making the file "
        "is its access entry, tested in tests/referrals/test_package_pdf.py"
    ),
    "risk:dashboard_list": (
        "a list across cases (reference, display name, level), not an opening of one case "
        "file; lists are not access entries in DESIGN.md"
    ),
    "referrals:directory": "partner organisations by name, kind and dates; no contacts",
    "referrals:partner_add": "an empty form for a new partner organisation",
    "referrals:dashboard": (
        "agreements and meetings due, figures per partner and month, and the references of "
        "referrals awaiting approval; no case file or partner contact is opened"
    ),
    # --- Retention and erasure (issue 13) ---
    "dataprotection:retention_schedule": "kinds of record and how many days each is kept",
    "dataprotection:retention_rule": "one kind of record's period; no case",
    "dataprotection:erasures": (
        "the references, bases and dates of erasures and the references of records past their "
        "period; no case file is opened"
    ),
    "dataprotection:legal_holds": (
        "the references and review dates of cases on hold (not the reasons); no case file"
    ),
    "dataprotection:erasure_certificate": (
        "a certificate of counts with no personal data; its own access entry is tested in "
        "tests/dataprotection/test_erasure_pages.py"
    ),
    # --- Data protection: delivery ---
    "copy_download": (
        "the person's public one-time page: asks for the code, looks nothing up; the download "
        "is audited (as the system), tested in tests/dataprotection/test_delivery_public.py"
    ),
    "dataprotection:delivery_keep": (
        "a POST that copies the finished final PDF onto the delivery and redirects to the "
        "delivery page (which writes the entries); refused, it shows that page, audited"
    ),
    # --- end of delivery ---
    # --- the copy (dataprotection.copy_views) ---
    "dataprotection:copy_job": "the draft PDF's progress only; the download is the access entry",
    "dataprotection:copy_request": "asks the worker for the draft PDF; redirects to its progress",
    "dataprotection:copy_make": "makes the draft (its change entries) and redirects to the page",
    "dataprotection:copy_redaction_apply": "one service, then a redirect to the audited page",
    "dataprotection:copy_redaction_remove": "one service, then a redirect to the audited page",
    "dataprotection:copy_document_confirm": "one service, then a redirect to the audited page",
    "dataprotection:copy_submit": "one service, then a redirect to the audited review page",
    # --- end of the copy ---
    "dataprotection:records_delete": (
        "deletes the DPO's closed records past their period after confirmation; shows nothing"
    ),
    "dataprotection:dashboard": (
        "the references, kinds, stages and deadlines of open requests, breaches and erasures; "
        "no case file is opened"
    ),
    # --- requests (the requests part) ---
    "dataprotection:requests": (
        "requests by reference, kind, stage and deadline, and the country profile; no name, "
        "no case file (a list, not an opening)"
    ),
    "dataprotection:request_new": "an empty form to log a request; nothing of anyone",
    # --- records (issue 13): the DPO's record of processing, breach register and profile ---
    "dataprotection:processing": (
        "the record of processing: kinds of data and people, purposes, partner organisations "
        "by name; no one's data"
    ),
    "dataprotection:processing_add": "an empty form for an entry of the record of processing",
    "dataprotection:processing_edit": "an entry of the record of processing; no one's data",
    "dataprotection:processing_remove": "removes an entry of the record; shows nothing",
    "dataprotection:processing_prefill": "adds entries to the record; shows nothing",
    "dataprotection:processing_pdf": (
        "the record of processing as PDF; no one's data, and its export entries are tested in "
        "tests/dataprotection/test_records_pdf.py"
    ),
    "dataprotection:breaches": (
        "breaches by reference, dates, counts and clock; what happened and who was told are "
        "on each breach's page, which is audited"
    ),
    "dataprotection:breach_log": "an empty form for a new breach",
    "dataprotection:profile": "the country profile's rules; no one's data",
    # --- end of records ---
    # --- Premises (issue 14) ---
    # sites (the sites part)
    "premises:dashboard": (
        "a supervisor's list across their own teams' sites: names, figures, review dates and "
        "the overdue actions (what to do, owner, due date); no address, no incident text. "
        "Lists are not access entries in DESIGN.md; every figure opens the site's page, "
        "which is audited"
    ),
    "premises:sites": "sites by name, kind, team, status and review date; never an address",
    "premises:site_new": "an empty form for a new site; the POST creates it and redirects",
    # safety (premises.views.safety, premises.views.public)
    "premises:safety_page_submit": (
        "POST only: sends a draft for review and redirects; a refusal shows the version, "
        "audited as its preview"
    ),
    "premises:safety_page_publish": (
        "POST only: publishes and redirects; a refusal shows the version, audited as its preview"
    ),
    "premises:safety_page_return": (
        "POST only: sends a version back with a reason and redirects; a refusal shows the "
        "version, audited as its preview"
    ),
    "premises:safety_handout": (
        "the PDF of the published version only (the world's page is a draft, so 404 here); its "
        "EXPORT entry is tested in tests/premises/test_safety_pages.py"
    ),
    "safety_page_public": (
        "the public safety page: read by anyone without signing in (no one to name), it shows "
        "only the published text, which passed the sensitive-terms check and a supervisor's "
        "review; no entry, so anonymous reads cannot grow the log (tested in "
        "tests/premises/test_safety_public.py)"
    ),
    # evidence:
    "premises:escape_plan_approve": "approves a draft (its change entries); redirects",
    "premises:escape_plan_read": "records a reading of the plan (a change entry); redirects",
    "premises:escape_plan_discard": (
        "only a draft is discarded and the world's plan is approved (403); the confirmation's "
        "access entry and the delete entry are tested in tests/premises/test_four_eyes.py"
    ),
    "premises:escape_plan_edit": (
        "only a draft is edited and the world's plan is approved (403); the form's access "
        "entry is tested in tests/premises/test_evidence_plans.py"
    ),
    "premises:floor_plan_download": (
        "the world's plan has no floor plan (404); the download's entry is tested in "
        "tests/premises/test_evidence_plans.py"
    ),
    # end of evidence
    # --- end of premises ---
}
# Mounted from libraries: sign-in and account pages, and the administration, which holds no
# case model (checked below).
LIBRARY_NAMESPACES = {"admin"}


def _project_module(callback: Any) -> bool:
    top = getattr(callback, "__module__", "").split(".")[0]
    return (ROOT / top).is_dir() and top != "tests"


def project_patterns() -> list[tuple[str, str, list[str]]]:
    """(URL name, route, keyword names) of every URL the project's own views answer."""
    found = []

    def walk(patterns: Any, prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace in LIBRARY_NAMESPACES:
                    continue
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern) and _project_module(p.callback):
                route = prefix + str(p.pattern)
                found.append((f"{namespace}{p.name}", "/" + route, list(p.pattern.converters)))

    walk(get_resolver().url_patterns, "", "")
    return found


@pytest.fixture
def world(north):
    cara = factories.caseworker(north, "Cara")
    sofia = factories.supervisor(north, "Sofia")
    factories.train(cara)
    factories.train(sofia)
    case = factories.make_full_case(cara)
    other = factories.make_full_case(cara)
    action = factories.add_risk(case, cara)
    services.document_add(
        case=case,
        actor=cara,
        name="letter.pdf",
        content_type="application/pdf",
        data=factories.blank_pdf(),
    )
    now = timezone.now()
    job = ExportJob.objects.create(
        case=case,
        requested_by=sofia,
        expires_at=now + datetime.timedelta(hours=1),
        status=ExportJob.Status.DONE,
        pdf=factories.blank_pdf(),
    )
    match = DuplicateMatch.objects.create(
        existing_case=other, new_case=case, matched_on=["phone"], found_by=cara
    )
    record = risk_services.training_record_add(
        actor=sofia,
        user=cara,
        course="Safety planning",
        completed_on=timezone.localdate(),
        provider="Regional network",
        certificate=("cert.pdf", "application/pdf", factories.blank_pdf()),
    )
    partner = factories.make_partner(contacts="Mira, 0470 12 34 56")
    agreement = factories.make_agreement(
        partner,
        recorded_by=sofia,
        signed_copy=factories.blank_pdf(),
        signed_copy_type="application/pdf",
        signed_copy_size=1,
    )
    # A referral of the case, open to Pat at the partner, and its package as a protected PDF
    # that Sofia made.
    referral = factories.sent_referral(case, factories.make_partner("Refuge"), by=cara)
    pat = factories.partner_user(referral.partner)
    package, _passphrase = referral_services.protected_package_create(
        referral=referral, actor=sofia
    )
    draft_partner = factories.make_partner()
    factories.make_agreement(draft_partner)
    draft_referral = referral_services.referral_draft(
        case=case,
        actor=cara,
        partner=draft_partner,
        purpose="safety",
        urgency="routine",
        message="Please call",
        categories=["needs"],
    )
    values = {
        "case_pk": [case.pk],
        "package_id": [package.pk],
        "pk": [case.pk],
        "partner_id": [partner.pk],
        "agreement_id": [agreement.pk],
        "referral_id": [draft_referral.pk],
        "consent_id": [Consent.objects.filter(case=case).first().pk],
        "document_id": [Document.objects.get(case=case).pk],
        "assessment_id": [Assessment.objects.get(case=case).pk],
        "action_id": [action.pk],
        "job_id": [job.pk],
        "match_id": [match.pk],
        "record_id": [record.pk],
        "tile": list(risk_dashboard.DRILLDOWNS),
    }
    # What each keyword names, for the entry's object: the page of a duplicate names the
    # existing case; a training certificate is its record.
    named = {
        "pk": case,
        "match_id": other,
        "record_id": record,
        "referral_id": draft_referral,
        "consent_id": Consent.objects.filter(case=case).first(),
        "partner_id": partner,
        "agreement_id": agreement,
    }
    # Pages whose ``pk`` is a referral, not a case; the partner's own pages are opened by Pat.
    received = ["received", "received_accept", "received_decline", "received_complete"]
    by_name: dict[str, dict[str, list[Any]]] = {
        f"referrals:{name}": {"pk": [referral.pk]}
        for name in [*received, "package_pdf", "package_pdf_download"]
    }
    actors = {f"referrals:{name}": pat for name in received}
    named_by_name: dict[str, Any] = dict.fromkeys(by_name, referral)
    # The withdrawal of a consent to share: its ``pk`` is the consent.
    sharing = factories.make_sharing_consent(case, factories.make_partner())
    by_name["referrals:consent_withdraw"] = {"pk": [sharing.pk]}
    named_by_name["referrals:consent_withdraw"] = sharing
    named["case_pk"] = case
    # --- requests (the requests part): a request's pages, opened by the DPO (a write by a
    # supervisor is a 403); their ``pk`` is the request, the access entry is on it.
    dana = factories.dpo("Dana")
    access_request = factories.make_access_request(case, logged_by=dana, identity_checked=False)
    for name in [
        "request",
        "request_identity",
        "request_feared",
        "request_extend",
        "request_close",
    ]:
        by_name[f"dataprotection:{name}"] = {"pk": [access_request.pk]}
        named_by_name[f"dataprotection:{name}"] = access_request
        actors[f"dataprotection:{name}"] = dana
    # --- records (issue 13): a breach's pages are the DPO's, who opens them ---
    from dataprotection.services import records as records_services

    breach = records_services.breach_log(
        actor=dana,
        discovered_at=timezone.now() - datetime.timedelta(hours=2),
        occurred_at=None,
        description="A letter went to the wrong address.",
        data_categories=["contact_details"],
        people_affected=1,
    )
    for name in ["breach", "breach_decide", "breach_notified", "breach_tell", "breach_close"]:
        by_name[f"dataprotection:{name}"] = {"breach_id": [breach.pk]}
        actors[f"dataprotection:{name}"] = dana
        named_by_name[f"dataprotection:{name}"] = breach
    # --- end of records ---
    # --- Retention and erasure (issue 13): the DPO opens an erasure, a hold, a request.
    from dataprotection.models import Erasure, LegalHold

    erasure = Erasure.objects.create(
        case=case, case_reference=case.reference, basis="schedule", due_since=now.date()
    )
    hold = LegalHold.objects.create(case=case, reason="Court", review_on=now.date(), placed_by=dana)
    erasure_request = factories.make_access_request(case, logged_by=dana, kind="erasure")
    for name, key, obj in [
        ("erasure", "erasure_id", erasure),
        ("legal_hold_lift", "hold_id", hold),
        ("erasure_request", "request_id", erasure_request),
    ]:
        by_name[f"dataprotection:{name}"] = {key: [obj.pk]}
        named_by_name[f"dataprotection:{name}"] = obj
        actors[f"dataprotection:{name}"] = dana
    # --- Data protection: delivery. Dana (the DPO) opens the delivery pages of a signed-off
    # request about the case, its final PDF kept on its delivery; ``pk`` is the request.
    signed_off = factories.approved_request(case, logged_by=dana)
    Delivery.objects.create(
        request=signed_off, passphrase="test-pass", pdf=factories.blank_pdf(), created_by=dana
    )
    for name in [
        "delivery",
        "delivery_prepare",
        "delivery_passphrase_sent",
        "delivery_link",
        "delivery_hand_over",
        "delivery_pdf",
        "delivery_passphrase_show",
    ]:
        by_name[f"dataprotection:{name}"] = {"pk": [signed_off.pk]}
        actors[f"dataprotection:{name}"] = dana
        named_by_name[f"dataprotection:{name}"] = signed_off
    # --- end of delivery ---
    # --- the copy (dataprotection.copy_views): its pages name an access request (pk), opened
    # by Dana, the DPO; the draft is made, one suggestion waits; the PDF job is hers.
    from cases.models import ThirdParty
    from dataprotection.models import CopyJob, Redaction
    from dataprotection.services import copy as copy_services

    ThirdParty.objects.create(case=case, role="feared", name="Viktor Hale")
    access = factories.make_access_request(case, logged_by=dana)
    copy_services.copy_draft_make(actor=dana, request=access)
    copy_job = CopyJob.objects.create(
        request=access,
        requested_by=dana,
        expires_at=now + datetime.timedelta(hours=1),
        status=CopyJob.Status.DONE,
        pdf=factories.blank_pdf(),
    )
    copy_values = {
        "pk": [access.pk],
        "job_id": [copy_job.pk],
        "redaction_id": [Redaction.objects.filter(request=access).first().pk],
    }
    for name in [
        "copy_prepare",
        "copy_redaction_add",
        "copy_withhold",
        "copy_restore",
        "copy_review",
        "copy_sign_off",
        "copy_send_back",
        "copy_log",
        "copy_job_download",
    ]:
        by_name[f"dataprotection:{name}"] = copy_values
        # Sofia (the team's supervisor) reviews; Dana prepares and asked for the PDF.
        if name not in ("copy_review", "copy_sign_off", "copy_send_back", "copy_log"):
            actors[f"dataprotection:{name}"] = dana
        named_by_name[f"dataprotection:{name}"] = access
    # --- end of the copy ---
    # --- Premises (issue 14): a North site with one of each of its records. Sofia
    # supervises North and opens them; each page's entry is on the site or the record.
    site = factories.make_site(north, kind="refuge", created_by=sofia)
    security = factories.make_security_assessment(site, sofia)
    premises_objects = {
        "site_id": site,
        "security_assessment_id": security,
        "finding_id": factories.make_finding(security, sofia),
        "site_action_id": factories.make_site_action(site, sofia, assessment=security),
        "photo_id": factories.make_photo(site, sofia),
        "plan_id": factories.make_escape_plan(site, sofia),
        "drill_id": factories.make_drill(site, sofia),
        "incident_id": factories.make_incident(site, sofia),
        "page_id": factories.make_safety_page(site, sofia),
        "term_id": factories.make_sensitive_term(site, sofia),
    }
    for keyword, obj in premises_objects.items():
        values[keyword] = [obj.pk]
        named[keyword] = obj
    values["public_id"] = [site.public_id]
    # The sensitive-terms list names no record: its entry is on each site whose terms it shows.
    named_by_name["premises:sensitive_terms"] = site
    # --- end of premises ---
    return {
        "sofia": sofia,
        "case": case,
        "values": values,
        "named": named,
        "by_name": by_name,
        "actors": actors,
        "named_by_name": named_by_name,
    }


def urls_of(route: str, keywords: list[str], values: dict[str, list[Any]]) -> Iterator[str]:
    missing = [k for k in keywords if k not in values]
    assert not missing, f"{route}: teach the audit net which object {missing} names"
    for combination in itertools.product(*(values[k] for k in keywords)):
        url = route
        for keyword, value in zip(keywords, combination, strict=True):
            url = _fill(url, keyword, value)
        yield url


def _fill(route: str, keyword: str, value: Any) -> str:
    return re.sub(rf"<(?:\w+:)?{keyword}>", str(value), route)


def _opened(client: Any, url: str) -> Any:
    """GET the page; a form that only takes POST is sent empty, which is refused and shows
    the page again (the case page with what to correct, for instance)."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


def test_the_net_finds_the_case_pages():
    names = {name for name, _, _ in project_patterns()}
    assert {"cases:detail", "cases:history", "risk:safety_plan", "cases:export_download"} <= names
    assert not set(EXEMPT) - names, f"exemptions for pages that are gone: {set(EXEMPT) - names}"


def unaudited(client: Any, world: dict, patterns: list[tuple[str, str, list[str]]]) -> list:
    """What is wrong with ``patterns``: pages that did not show, or wrote no access entry."""
    problems = []
    for name, route, keywords in patterns:
        if name in EXEMPT:
            continue
        # Sofia opens every page but another role's own (a partner user's inbox, by Pat).
        actor = world.get("actors", {}).get(name, world["sofia"])
        client.force_login(actor)
        values = {**world["values"], **world.get("by_name", {}).get(name, {})}
        named = {world["named"].get(k) for k in keywords} - {None} | {world["case"]}
        named |= {world.get("named_by_name", {}).get(name)} - {None}
        for url in urls_of(route, keywords, values):
            since = factories.audit_mark()
            response = _opened(client, url)
            if response.status_code in (302, 403, 404, 405):
                problems.append(
                    f"{name} ({url}) answered {response.status_code} to someone allowed to "
                    "see it: build data so that it shows, or exempt it with the reason"
                )
                continue
            written = AuditEntry.objects.filter(
                seq__gt=since, action=AuditEntry.Action.ACCESS, actor=actor
            )
            objects = {(e.content_type.model_class(), e.object_pk) for e in written}
            if not objects & {(type(o), str(o.pk)) for o in named}:
                problems.append(
                    f"{name} ({url}) shows case data but wrote no access entry for it: call "
                    "record_access (victimsupport.audit.services), or exempt it with the reason"
                )
    return problems


def test_every_page_that_shows_case_data_writes_its_access_entry(client, world):
    patterns = project_patterns()
    assert len([p for p in patterns if p[0] not in EXEMPT]) >= 15
    problems = unaudited(client, world, patterns)
    assert not problems, "\n".join(problems)


def test_the_net_catches_a_new_page_without_its_entry(client, world, settings):
    settings.ROOT_URLCONF = "tests.testapp.urls_unaudited"
    # The throwaway page lives in tests/, which the sweep leaves out; it is given by hand.
    problems = unaudited(client, world, [("peek", "/peek/<uuid:pk>/", ["pk"])])
    assert len(problems) == 1 and "peek" in problems[0] and "no access entry" in problems[0]


def test_the_administration_holds_no_case_data():
    registered = set(admin.site._registry)
    assert not registered & set(case_models()), registered & set(case_models())
