"""A site that becomes a refuge, or a refuge that moves, is refused while any text auditors
read of it would place it at its (new) address; and a floor plan stored before PDF metadata
was stripped loses it when copied into a new version or rechecked. North's office at 12
Lantern Row; Sofia supervises North, Cara works there."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader, PdfWriter

from premises.models import EscapePlan, Site
from premises.services import evidence
from premises.services import sites as services
from tests import factories

pytestmark = pytest.mark.django_db

OFFICE_ADDRESS = "12 Lantern Row, Emberfield"
NEW_ADDRESS = "5 Copper Lane, Emberfield"


@pytest.fixture
def w(north):
    sofia = factories.supervisor(north, "Sofia")
    w = {"north": north, "sofia": sofia, "cara": factories.caseworker(north, "Cara")}
    w["office"] = factories.make_site(
        north, kind="office", name="North office", address=OFFICE_ADDRESS, created_by=sofia
    )
    return w


def to_refuge(site, actor, **changes):
    fields = {"kind": "refuge", "opening": "residents_only", **changes}
    return services.site_update(actor=actor, site=site, version=site.version, **fields)


def messages_of(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def test_an_office_whose_caption_names_its_street_does_not_become_a_refuge(w):
    office, sofia = w["office"], w["sofia"]
    photo = factories.make_photo(office, w["cara"], caption="The door at 12 Lantern Row")
    with pytest.raises(ValidationError) as refused:
        to_refuge(office, sofia)
    assert set(refused.value.error_dict) == {"kind"}
    text = " ".join(messages_of(refused.value))
    assert "Edit them first" in text
    day = photo.taken_on.strftime("%-d %b %Y")
    assert f"Photo of {day}: its caption names" in text
    assert "Lantern Row" in text
    fresh = Site.objects.get(pk=office.pk)
    assert fresh.kind == "office" and fresh.version == office.version  # nothing saved

    # Once the caption is edited, the change goes through.
    photo.caption = "The front door"
    photo.save()
    assert to_refuge(office, sofia).kind == "refuge"


def test_every_text_auditors_read_is_checked_and_each_record_named(w):
    office, sofia, cara = w["office"], w["sofia"], w["cara"]
    street = "behind Lantern Row"
    factories.make_escape_plan(office, sofia, assembly_point=f"The green {street}")
    factories.make_escape_plan(office, sofia, approved=False, routes=f"Out to {street}")
    factories.make_drill(office, cara, scenario_details=f"A man at the gate {street}")
    factories.make_drill(office, cara, lessons=f"Meet {street}")
    assessment = factories.make_security_assessment(
        office,
        sofia,
        summary=f"Good locks {street}",
        answers={"door": {"answer": "yes", "note": f"Solid door {street}"}},
    )
    factories.make_finding(assessment, sofia, description=f"A low wall {street}")
    factories.make_site_action(office, sofia, description=f"Raise the wall {street}")
    factories.make_site_action(
        office, sofia, description="Check the gate", done_note=f"Done {street}"
    )
    # After an incident: auditors never read it, so it does not hold the change up.
    factories.make_site_action(office, sofia, source="incident", description=f"Watch {street}")
    with pytest.raises(ValidationError) as refused:
        to_refuge(office, sofia)
    text = messages_of(refused.value)
    assert len(text) == 1 + 9  # the introduction, then one line per text naming it
    joined = " ".join(text)
    for expected in (
        "Escape plan, version 1: its assembly point",
        "Escape plan, version 2: its escape routes",
        "what was practised",
        "its lessons",
        "its summary",
        "the note on question “door”",
        "of the assessment of",
        "what to do names",
        "its done note names",
    ):
        assert expected in joined
    assert "Watch" not in joined
    assert all("part of the site's address: “Lantern Row”" in line for line in text[1:])


def test_a_refuge_that_moves_is_checked_against_its_new_address(w):
    office, sofia, cara = w["office"], w["sofia"], w["cara"]
    refuge = to_refuge(office, sofia)
    factories.make_drill(refuge, cara, lessons="Residents now meet on Copper Lane.")
    with pytest.raises(ValidationError) as refused:
        services.site_update(actor=sofia, site=refuge, version=refuge.version, address=NEW_ADDRESS)
    assert set(refused.value.error_dict) == {"address"}
    assert "“Copper Lane”" in " ".join(messages_of(refused.value))
    assert Site.objects.get(pk=refuge.pk).address == OFFICE_ADDRESS
    # A move elsewhere, or a change that is not a move, is not held up.
    renamed = services.site_update(
        actor=sofia, site=refuge, version=refuge.version, name="Harbour house"
    )
    moved = services.site_update(
        actor=sofia, site=renamed, version=renamed.version, address="8 Tin Walk, Emberfield"
    )
    assert moved.address == "8 Tin Walk, Emberfield"


def test_a_site_that_stays_an_office_is_not_checked(w):
    office, sofia = w["office"], w["sofia"]
    factories.make_photo(office, w["cara"], caption="The door on Copper Lane")
    moved = services.site_update(
        actor=sofia, site=office, version=office.version, address=NEW_ADDRESS
    )
    assert moved.address == NEW_ADDRESS


def test_the_form_shows_again_with_what_was_typed_and_the_records_to_edit(client, w):
    office, sofia = w["office"], w["sofia"]
    factories.make_photo(office, w["cara"], caption="The door at 12 Lantern Row")
    client.force_login(sofia)
    response = client.post(
        reverse("premises:site_edit", args=[office.pk]),
        {
            "name": "Harbour house",
            "kind": "refuge",
            "address": OFFICE_ADDRESS,
            "opening": "residents_only",
            "walk_in_hours": "",
            "status": "open",
            "version": office.version,
        },
    )
    assert response.status_code == 400
    assert "Harbour house" in response.text  # what was typed
    assert "its caption names" in response.text and "Lantern Row" in response.text
    assert Site.objects.get(pk=office.pk).kind == "office"


def _queries_of_a_refused_change(site, actor) -> int:
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValidationError):
        services.site_update(
            actor=actor,
            site=site,
            version=site.version,
            kind="refuge",
            opening="residents_only",
        )
    return len(queries)


def test_the_check_reads_each_kind_of_record_once(w):
    office, sofia, cara = w["office"], w["sofia"], w["cara"]

    def one_of_each():
        factories.make_photo(office, cara, caption="At 12 Lantern Row")
        factories.make_escape_plan(office, sofia, approved=False, routes="Lantern Row")
        EscapePlan.objects.filter(site=office).update(status="retired")
        factories.make_drill(office, cara, lessons="Lantern Row")
        assessment = factories.make_security_assessment(office, sofia, summary="Lantern Row")
        factories.make_finding(assessment, sofia, description="Lantern Row")
        factories.make_site_action(office, sofia, description="Lantern Row")

    one_of_each()
    _queries_of_a_refused_change(office, sofia)  # the actor's roles, read once and kept
    few = _queries_of_a_refused_change(office, sofia)
    for _ in range(4):
        one_of_each()
    assert _queries_of_a_refused_change(office, sofia) == few


# --- Floor plans stored before their metadata was stripped --------------------------------


def _titled_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Title": "Floor plan 12 Lantern Row"})
    writer.add_outline_item(title="Lantern Row ground floor", page_number=0)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stored_plan(site, by):
    data = _titled_pdf()
    return factories.make_escape_plan(
        site, by, floor_plan=data, floor_plan_type="application/pdf", floor_plan_size=len(data)
    )


def test_a_copied_floor_plan_loses_its_title(w):
    office, sofia = w["office"], w["sofia"]
    _stored_plan(office, sofia)
    draft = evidence.escape_plan_write(
        actor=w["cara"],
        site=office,
        routes="Out through the garden gate.",
        assembly_point="The car park",
        roles="The duty worker takes the list.",
    )
    data = bytes(EscapePlan.objects.get(pk=draft.pk).floor_plan)
    assert b"Lantern" not in data
    reader = PdfReader(io.BytesIO(data))
    assert not reader.metadata and not reader.outline and len(reader.pages) == 1
    assert draft.floor_plan_size == len(data) and draft.floor_plan_type == "application/pdf"


def test_recheck_files_strips_a_stored_floor_plans_metadata(w):
    plan = _stored_plan(w["office"], w["sofia"])

    def run(*flags):
        out = io.StringIO()
        call_command("recheck_files", *flags, stdout=out, stderr=io.StringIO())
        return out.getvalue()

    report = run()
    assert f"floor plan {plan.pk}: file carries metadata" in report
    assert "Run again with --reencode-images" in report
    plan.refresh_from_db()
    assert b"Lantern" in bytes(plan.floor_plan)  # a report only

    assert f"floor plan {plan.pk}: file rewritten without its metadata" in run("--reencode-images")
    plan.refresh_from_db()
    data = bytes(plan.floor_plan)
    assert b"Lantern" not in data and plan.floor_plan_size == len(data)
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    # Once stripped, nothing more to do.
    assert f"floor plan {plan.pk}" not in run()
