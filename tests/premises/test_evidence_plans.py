"""Escape plans: versions written as drafts (starting from the current one, keeping its floor
plan), approved by a supervisor of the site's team (the previous one superseded, one current a
site), floor plans checked by their bytes and downloaded under a neutral name, and staff
recording that they read the current version, with the share who did."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from premises.models import EscapePlan, EscapePlanReading, PlanStatus
from premises.services import evidence as services
from tests import factories
from victimsupport.access import MaySeeNotChange, Role
from victimsupport.stored_files import Refusal, carries_metadata

pytestmark = pytest.mark.django_db

ROUTES = "Out through the kitchen to the garden gate; the front door if the kitchen is blocked."


@pytest.fixture
def people(north):
    south = factories.make_team("South")
    return {
        "cara": factories.caseworker(north, "Cara"),
        "carl": factories.caseworker(north, "Carl"),
        "sofia": factories.supervisor(north, "Sofia"),
        "aude": factories.make_user("Aude", role=Role.AUDITOR),
        "sam": factories.caseworker(south, "Sam"),
        "steve": factories.supervisor(south, "Steve"),
        "site": factories.make_site(north, kind="refuge"),
    }


def _form(**fields):
    return {
        "routes": ROUTES,
        "assembly_point": "The church porch across the road",
        "roles": "The duty worker takes the visitors' list; the manager calls the police.",
        **fields,
    }


def _url(name, site, *args):
    return reverse(f"premises:{name}", args=[site.pk, *args])


def _png_with_text() -> bytes:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Lantern refuge ground floor")
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (250, 250, 250)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def test_a_version_is_written_approved_and_then_superseded(client, people):
    site, cara, sofia = people["site"], people["cara"], people["sofia"]
    client.force_login(cara)
    floor = SimpleUploadedFile("ground floor.png", _png_with_text(), content_type="image/png")
    response = client.post(_url("escape_plan_new", site), _form(floor_plan=floor))
    assert response.status_code == 302
    first = EscapePlan.objects.get(site=site)
    assert (first.version, first.status) == (1, PlanStatus.DRAFT)
    assert first.floor_plan_type == "image/png"
    assert not carries_metadata(first.floor_plan, "image/png")
    assert b"Lantern" not in first.floor_plan

    # A caseworker may not approve: the button is not shown and the service refuses.
    page = client.get(_url("escape_plan_version", site, first.pk)).content.decode()
    assert "Approve this version" not in page and "Edit the draft" in page
    assert client.post(_url("escape_plan_approve", site, first.pk)).status_code == 403
    with pytest.raises(MaySeeNotChange):
        services.escape_plan_approve(actor=cara, plan=first)
    first.refresh_from_db()
    assert first.status == PlanStatus.DRAFT

    client.force_login(sofia)
    assert (
        "Approve this version"
        in client.get(_url("escape_plan_version", site, first.pk)).content.decode()
    )
    assert client.post(_url("escape_plan_approve", site, first.pk)).status_code == 302
    first.refresh_from_db()
    assert (first.status, first.approved_by) == (PlanStatus.APPROVED, sofia)

    # The next version starts from the current one and keeps its floor plan.
    client.force_login(cara)
    form_page = client.get(_url("escape_plan_new", site)).content.decode()
    assert "garden gate" in form_page
    response = client.post(_url("escape_plan_new", site), _form(assembly_point="The car park"))
    second = EscapePlan.objects.get(site=site, version=2)
    assert response.status_code == 302
    assert second.floor_plan == first.floor_plan and second.floor_plan_type == "image/png"
    client.force_login(sofia)
    client.post(_url("escape_plan_approve", site, second.pk))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == PlanStatus.SUPERSEDED
    assert second.status == PlanStatus.APPROVED
    assert EscapePlan.objects.filter(site=site, status=PlanStatus.APPROVED).count() == 1
    page = client.get(_url("escape_plan", site)).content.decode()
    assert "The car park" in page and "Version 1" in page and "Replaced by a newer version" in page


def test_the_database_allows_one_approved_plan_a_site(people):
    site, sofia = people["site"], people["sofia"]
    factories.make_escape_plan(site, sofia)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_escape_plan(site, sofia)


def test_only_a_draft_is_approved_or_edited(client, people):
    site, cara, sofia = people["site"], people["cara"], people["sofia"]
    plan = factories.make_escape_plan(site, sofia)
    with pytest.raises(ValidationError):
        services.escape_plan_approve(actor=sofia, plan=plan)
    with pytest.raises(ValidationError):
        services.escape_plan_update(actor=cara, plan=plan, revision=plan.revision, **_form())
    client.force_login(cara)
    assert client.get(_url("escape_plan_edit", site, plan.pk)).status_code == 403


def test_a_draft_is_edited_and_its_form_opening_audited(client, people):
    site, cara = people["site"], people["cara"]
    draft = factories.make_escape_plan(site, cara, approved=False)
    client.force_login(cara)
    since = factories.audit_mark()
    page = client.get(_url("escape_plan_edit", site, draft.pk))
    assert page.status_code == 200 and "garden gate" in page.content.decode()
    factories.assert_accessed(draft, "view", cara, since=since)
    response = client.post(
        _url("escape_plan_edit", site, draft.pk), _form(roles="Everyone out.", version=1)
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.roles == "Everyone out." and draft.status == PlanStatus.DRAFT
    assert draft.revision == 2
    # Writing a new version while a draft exists leads to the draft.
    new = client.get(_url("escape_plan_new", site))
    assert new.status_code == 302 and new["Location"] == _url("escape_plan_edit", site, draft.pk)
    with pytest.raises(ValidationError):
        services.escape_plan_write(actor=cara, site=site, **_form())


def test_bad_input_keeps_what_was_typed(client, people):
    client.force_login(people["cara"])
    response = client.post(
        _url("escape_plan_new", people["site"]), _form(assembly_point="", routes=ROUTES)
    )
    assert response.status_code == 400
    assert "garden gate" in response.content.decode()
    assert not EscapePlan.objects.exists()


def test_a_floor_plan_is_an_image_or_a_pdf_by_its_bytes(client, people):
    site = people["site"]
    client.force_login(people["cara"])
    text = SimpleUploadedFile("plan.pdf", b"door code 4711", content_type="application/pdf")
    response = client.post(_url("escape_plan_new", site), _form(floor_plan=text))
    assert response.status_code == 400
    assert "A floor plan can be a JPEG or PNG image, or a PDF." in response.content.decode()
    assert not EscapePlan.objects.exists()
    pdf = SimpleUploadedFile("plan.png", factories.blank_pdf(), content_type="image/png")
    assert client.post(_url("escape_plan_new", site), _form(floor_plan=pdf)).status_code == 302
    assert EscapePlan.objects.get().floor_plan_type == "application/pdf"


def test_an_oversize_floor_plan_is_refused_with_the_limit(client, people, settings):
    settings.DOCUMENT_MAX_BYTES = 10 * 1024
    client.force_login(people["cara"])
    big = SimpleUploadedFile("plan.pdf", factories.blank_pdf() + b"\0" * 20_000)
    response = client.post(_url("escape_plan_new", people["site"]), _form(floor_plan=big))
    assert response.status_code == 400
    assert "the limit is 10 KB" in response.content.decode()


def test_the_floor_plan_downloads_with_a_neutral_name(client, people):
    site, cara = people["site"], people["cara"]
    plan = factories.make_escape_plan(
        site,
        people["sofia"],
        floor_plan=factories.blank_pdf(),
        floor_plan_type="application/pdf",
        floor_plan_size=len(factories.blank_pdf()),
    )
    client.force_login(cara)
    since = factories.audit_mark()
    response = client.get(_url("floor_plan_download", site, plan.pk))
    assert response.status_code == 200
    assert f'filename="floor-plan-{plan.pk}.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    factories.assert_accessed(plan, "download", cara, since=since)
    services.floor_plan_quarantine(plan=plan, reason=Refusal.PDF_ACTIVE_CONTENT)
    shown = client.get(_url("floor_plan_download", site, plan.pk), follow=True)
    assert "was set aside" in shown.content.decode()
    no_file = factories.make_escape_plan(site, cara, approved=False)
    assert client.get(_url("floor_plan_download", site, no_file.pk)).status_code == 404


def test_recheck_files_covers_floor_plans(people):
    site = people["site"]
    js = factories.blank_pdf().replace(
        b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
    )
    plan = factories.make_escape_plan(
        site,
        people["sofia"],
        floor_plan=js,
        floor_plan_type="application/pdf",
        floor_plan_size=len(js),
    )
    out = io.StringIO()
    call_command("recheck_files", "--quarantine", stdout=out, stderr=io.StringIO())
    assert f"floor plan {plan.pk}: quarantined" in out.getvalue()
    plan.refresh_from_db()
    assert plan.quarantined_at is not None


# --- Readings ------------------------------------------------------------------------------


def test_staff_record_reading_the_current_version_once(client, people):
    site, cara, sofia = people["site"], people["cara"], people["sofia"]
    plan = factories.make_escape_plan(site, sofia)
    client.force_login(cara)
    page = client.get(_url("escape_plan", site)).content.decode()
    assert "0 of 3 staff (0%)" in page
    assert "I have read and understood version 1" in page
    assert "Not yet recorded by" not in page  # names are for supervisors
    assert client.post(_url("escape_plan_read", site, plan.pk)).status_code == 302
    assert client.post(_url("escape_plan_read", site, plan.pk)).status_code == 302
    assert EscapePlanReading.objects.filter(plan=plan, user=cara).count() == 1
    page = client.get(_url("escape_plan", site)).content.decode()
    assert "1 of 3 staff (33%)" in page
    assert "I have read and understood version 1" not in page
    client.force_login(sofia)
    page = client.get(_url("escape_plan", site)).content.decode()
    assert "Not yet recorded by" in page and "Carl" in page and "Sofia" in page


def test_a_draft_or_superseded_version_is_not_recorded_as_read(people):
    site, cara = people["site"], people["cara"]
    draft = factories.make_escape_plan(site, cara, approved=False)
    with pytest.raises(ValidationError):
        services.escape_plan_read(actor=cara, plan=draft)
    old = factories.make_escape_plan(site, cara, approved=False, status=PlanStatus.SUPERSEDED)
    with pytest.raises(ValidationError):
        services.escape_plan_read(actor=cara, plan=old)
    assert not EscapePlanReading.objects.exists()


def test_the_share_counts_only_the_teams_active_staff(people):
    from premises.selectors.evidence import read_share

    site, cara, carl = people["site"], people["cara"], people["carl"]
    plan = factories.make_escape_plan(site, people["sofia"])
    services.escape_plan_read(actor=cara, plan=plan)
    services.escape_plan_read(actor=carl, plan=plan)
    assert (read_share(plan, site).readers, read_share(plan, site).staff) == (2, 3)
    carl.is_active = False
    carl.save()
    share = read_share(plan, site, with_names=True)
    assert (share.readers, share.staff, share.percent) == (1, 2, 50)
    assert share.not_yet == [people["sofia"]]


def test_a_new_approved_version_must_be_read_again(people):
    from premises.selectors.evidence import read_share

    site, cara, sofia = people["site"], people["cara"], people["sofia"]
    first = factories.make_escape_plan(site, sofia)
    services.escape_plan_read(actor=cara, plan=first)
    second = services.escape_plan_write(actor=cara, site=site, **_form())
    services.escape_plan_approve(actor=sofia, plan=second)
    assert read_share(second, site).readers == 0


# --- Who sees what -------------------------------------------------------------------------


def test_an_auditor_reads_plans_and_changes_nothing(client, people):
    site = factories.make_site(people["cara"].teams.get(), kind="office")
    plan = factories.make_escape_plan(site, people["sofia"])
    draft = factories.make_escape_plan(site, people["cara"], approved=False)
    client.force_login(people["aude"])
    page = client.get(_url("escape_plan", site))
    assert page.status_code == 200
    text = page.content.decode()
    assert "garden gate" in text and "I have read" not in text and "Write a new version" not in text
    assert client.get(_url("escape_plan_version", site, draft.pk)).status_code == 200
    assert client.get(_url("escape_plan_new", site)).status_code == 403
    assert client.post(_url("escape_plan_read", site, plan.pk)).status_code == 403
    assert client.post(_url("escape_plan_approve", site, draft.pk)).status_code == 403
    assert not EscapePlanReading.objects.exists()


def test_another_team_gets_404_and_its_supervisor_approves_nothing(client, people):
    site = people["site"]
    plan = factories.make_escape_plan(site, people["sofia"])
    draft = factories.make_escape_plan(site, people["cara"], approved=False)
    for who in ("sam", "steve"):
        client.force_login(people[who])
        for name, args in [
            ("escape_plan", ()),
            ("escape_plan_new", ()),
            ("escape_plan_version", (plan.pk,)),
            ("escape_plan_edit", (draft.pk,)),
            ("floor_plan_download", (plan.pk,)),
        ]:
            assert client.get(_url(name, site, *args)).status_code == 404, (who, name)
        assert client.post(_url("escape_plan_approve", site, draft.pk)).status_code == 404
        assert client.post(_url("escape_plan_read", site, plan.pk)).status_code == 404
    with pytest.raises(MaySeeNotChange):
        services.escape_plan_approve(actor=people["steve"], plan=draft)


def test_the_plan_page_keeps_its_queries_constant(client, people, django_assert_max_num_queries):
    site, cara, sofia = people["site"], people["cara"], people["sofia"]
    factories.make_escape_plan(site, sofia, status=PlanStatus.SUPERSEDED)
    factories.make_escape_plan(site, sofia)
    client.force_login(sofia)
    with django_assert_max_num_queries(25) as few:
        client.get(_url("escape_plan", site))
    for n in range(6):
        factories.make_escape_plan(site, sofia, status=PlanStatus.SUPERSEDED)
        factories.caseworker(site.team, f"Worker{n}")
    services.escape_plan_read(actor=cara, plan=EscapePlan.objects.get(status="approved"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(_url("escape_plan", site))
    assert response.status_code == 200


def _pdf_titled(title: str) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Title": title, "/Author": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_refuges_plan_shows_an_auditor_only_what_does_not_place_it(client, people):
    """Routes, assembly point, who does what and the floor plan would tell where a refuge
    is: its auditor reads the version, its status, who wrote and approved it, the read share."""
    site, sofia = people["site"], people["sofia"]
    pdf = factories.blank_pdf()
    plan = factories.make_escape_plan(
        site,
        sofia,
        floor_plan=pdf,
        floor_plan_type="application/pdf",
        floor_plan_size=len(pdf),
    )
    draft = factories.make_escape_plan(site, people["cara"], approved=False)
    client.force_login(people["aude"])
    for url in (
        _url("escape_plan", site),
        _url("escape_plan_version", site, plan.pk),
        _url("escape_plan_version", site, draft.pk),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        text = page.content.decode()
        for hidden in ("garden gate", "car park across", "visitors' list", "Download the floor"):
            assert hidden not in text, (url, hidden)
        assert "are shown only to its staff" in text
        assert "Sofia" in text or "Cara" in text  # who wrote it
    page = client.get(_url("escape_plan", site)).content.decode()
    assert "0 of 3 staff (0%)" in page and "Version 1" in page
    since = factories.audit_mark()
    assert client.get(_url("floor_plan_download", site, plan.pk)).status_code == 404
    factories.assert_not_accessed(plan, since=since)  # nothing served
    # Its staff read it all and download the floor plan.
    client.force_login(people["cara"])
    text = client.get(_url("escape_plan", site)).content.decode()
    assert "garden gate" in text and "Download the floor plan" in text
    assert "are shown only to its staff" not in text
    assert client.get(_url("floor_plan_download", site, plan.pk)).status_code == 200


def test_an_offices_plan_is_read_in_full_by_an_auditor(client, people):
    site = factories.make_site(people["cara"].teams.get(), kind="office")
    pdf = factories.blank_pdf()
    plan = factories.make_escape_plan(
        site,
        people["sofia"],
        floor_plan=pdf,
        floor_plan_type="application/pdf",
        floor_plan_size=len(pdf),
    )
    client.force_login(people["aude"])
    text = client.get(_url("escape_plan_version", site, plan.pk)).content.decode()
    assert "garden gate" in text and "Download the floor plan" in text
    assert client.get(_url("floor_plan_download", site, plan.pk)).status_code == 200


def test_a_pdf_floor_plan_is_kept_without_its_metadata(client, people):
    from pypdf import PdfReader

    client.force_login(people["cara"])
    floor = SimpleUploadedFile(
        "plan.pdf", _pdf_titled("Floor plan 12 Lantern Row"), content_type="application/pdf"
    )
    response = client.post(_url("escape_plan_new", people["site"]), _form(floor_plan=floor))
    assert response.status_code == 302
    stored = EscapePlan.objects.get().floor_plan
    assert b"Lantern" not in stored
    assert not PdfReader(io.BytesIO(stored)).metadata


@pytest.mark.parametrize(
    ("field", "text", "found"),
    [
        ("assembly_point", "The corner of Lantern Row", "part of the site's address"),
        ("routes", "Out of the back door onto 14 Harbour Street.", "a street address"),
        ("roles", "The manager opens the side gate (code 4711).", "a door code"),
    ],
)
def test_a_refuges_plan_naming_where_it_is_is_refused(client, people, field, text, found):
    site, cara = people["site"], people["cara"]
    with pytest.raises(ValidationError) as refused:
        services.escape_plan_write(actor=cara, site=site, **_form(**{field: text}))
    (message,) = refused.value.message_dict[field]
    assert found in message and "read by auditors" in message
    assert not EscapePlan.objects.exists()
    # Through the page: the refusal on the field, what was typed still there.
    client.force_login(cara)
    response = client.post(_url("escape_plan_new", site), _form(**{field: text}))
    assert response.status_code == 400
    body = response.content.decode()
    assert "describe it without saying where it is" in body
    assert "kitchen to the garden gate" in body or field == "routes"
    assert not EscapePlan.objects.exists()
    # An edit of a draft is checked too.
    draft = factories.make_escape_plan(site, cara, approved=False)
    with pytest.raises(ValidationError):
        services.escape_plan_update(
            actor=cara, plan=draft, revision=draft.revision, **_form(**{field: text})
        )
    draft.refresh_from_db()
    assert draft.revision == 1 and text not in (draft.routes, draft.assembly_point, draft.roles)


def test_an_offices_plan_may_name_its_street(people):
    site = factories.make_site(people["cara"].teams.get(), kind="office")
    plan = services.escape_plan_write(
        actor=people["cara"], site=site, **_form(assembly_point="Outside 3 Market Street")
    )
    assert plan.assembly_point == "Outside 3 Market Street"


def test_two_editors_of_a_draft_do_not_overwrite_each_other(client, people):
    site, cara, carl = people["site"], people["cara"], people["carl"]
    draft = factories.make_escape_plan(site, cara, approved=False)
    client.force_login(cara)
    page = client.get(_url("escape_plan_edit", site, draft.pk)).content.decode()
    assert 'name="version" value="1"' in page
    first = client.post(
        _url("escape_plan_edit", site, draft.pk), _form(roles="Cara's roles.", version=1)
    )
    assert first.status_code == 302
    # Carl's page was read at revision 1 too: his save is refused, nothing overwritten.
    client.force_login(carl)
    second = client.post(
        _url("escape_plan_edit", site, draft.pk), _form(roles="Carl's roles.", version=1)
    )
    assert second.status_code == 409
    body = second.content.decode()
    assert "Someone else saved changes here" in body
    assert "Saved now" in body and "Cara&#x27;s roles." in body  # what is saved now
    assert "Carl&#x27;s roles." in body  # what he typed, kept
    assert 'name="version" value="2"' in body  # based on what is saved now
    draft.refresh_from_db()
    assert draft.roles == "Cara's roles."
    # Having compared, he saves again, on the revision saved now.
    again = client.post(
        _url("escape_plan_edit", site, draft.pk), _form(roles="Carl's roles.", version=2)
    )
    assert again.status_code == 302
    draft.refresh_from_db()
    assert (draft.roles, draft.revision) == ("Carl's roles.", 3)
    # The service itself refuses a stale revision.
    from victimsupport.concurrency import EditConflict

    with pytest.raises(EditConflict) as conflict:
        services.escape_plan_update(actor=cara, plan=draft, revision=2, **_form())
    assert conflict.value.current.revision == 3


def test_a_draft_edit_without_its_revision_is_refused_as_a_conflict(client, people):
    site, cara = people["site"], people["cara"]
    draft = factories.make_escape_plan(site, cara, approved=False)
    client.force_login(cara)
    response = client.post(_url("escape_plan_edit", site, draft.pk), _form(roles="New roles."))
    assert response.status_code == 409
    body = response.content.decode()
    assert "We could not tell which saved version" in body and "New roles." in body
    draft.refresh_from_db()
    assert draft.roles != "New roles."


def test_reading_a_version_superseded_meanwhile_is_refused(people):
    """The reading checks the plan's status as saved now, not on the copy the page had."""
    site, cara, sofia = people["site"], people["cara"], people["sofia"]
    plan = factories.make_escape_plan(site, sofia)
    stale = EscapePlan.objects.get(pk=plan.pk)  # as the page read it: approved
    EscapePlan.objects.filter(pk=plan.pk).update(status=PlanStatus.SUPERSEDED)
    with pytest.raises(ValidationError) as refused:
        services.escape_plan_read(actor=cara, plan=stale)
    assert refused.value.code == "not_current"
    assert not EscapePlanReading.objects.exists()


def test_whoever_wrote_or_changed_a_version_does_not_approve_it(client, people, north):
    site, cara, sofia = people["site"], people["cara"], people["sofia"]
    sara = factories.supervisor(north, "Sara")
    # Sofia writes a draft: she may not approve it; Sara, the team's other supervisor, may.
    own = services.escape_plan_write(actor=sofia, site=site, **_form())
    with pytest.raises(MaySeeNotChange):
        services.escape_plan_approve(actor=sofia, plan=own)
    client.force_login(sofia)
    page = client.get(_url("escape_plan_version", site, own.pk)).content.decode()
    assert "Approve this version" not in page and "another supervisor" in page
    assert client.post(_url("escape_plan_approve", site, own.pk)).status_code == 403
    services.escape_plan_approve(actor=sara, plan=own)
    # Cara writes the next one and Sara changes it: Sara may no longer approve it.
    draft = services.escape_plan_write(actor=cara, site=site, **_form())
    draft = services.escape_plan_update(
        actor=sara, plan=draft, revision=draft.revision, **_form(roles="Sara's roles.")
    )
    with pytest.raises(MaySeeNotChange):
        services.escape_plan_approve(actor=sara, plan=draft)
    client.force_login(sara)
    assert (
        "Approve this version"
        not in client.get(_url("escape_plan_version", site, draft.pk)).content.decode()
    )
    approved = services.escape_plan_approve(actor=sofia, plan=draft)
    assert approved.status == "approved" and approved.approved_by == sofia
