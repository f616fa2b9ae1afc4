"""A refuge's address reaches no one but its team's staff: a net over every premises page.

The pages are found from the URL resolver (every URL whose view lives in ``premises``: the
staff pages under the ``premises`` namespace and the public safety page), not listed by hand,
so a page added later is caught without editing this file. A North refuge with a distinctive
address and one record of each kind is built; each page is requested (GET; an empty POST for
a page that takes only POST) by an auditor, a South caseworker and a South supervisor. The
address, and each of its parts, must never be in the bytes of any answer; every staff page
that names a North object answers 404 to South's staff; and the address is never in any
audit entry."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from premises.models import EscapePlanReading
from premises.services import sites as site_services
from tests import factories
from victimsupport.access import Role
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

ADDRESS = "27 Quillfeather Close\nMarrowgate MG4 7ZX"
# The address and each part that would place the refuge on its own.
PARTS = [ADDRESS, "27 Quillfeather Close", "Quillfeather", "Marrowgate", "MG4 7ZX"]


def premises_patterns() -> list[tuple[str, str, list[str]]]:
    """(URL name, route, keywords) of every URL answered by a view of the premises app."""
    found = []

    def walk(patterns: Any, prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                module = getattr(p.callback, "__module__", "")
                if module.split(".")[0] == "premises":
                    route = "/" + prefix + str(p.pattern)
                    found.append((f"{namespace}{p.name}", route, list(p.pattern.converters)))

    walk(get_resolver().url_patterns, "", "")
    return found


def pdf_titled(title: str) -> bytes:
    """A one-page PDF whose /Title (kept uncompressed in its bytes) is ``title``."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def world():
    north, south = factories.make_team("North"), factories.make_team("South")
    sofia = factories.supervisor(north, "Sofia")
    cara = factories.caseworker(north, "Cara")
    # Through the service, so that its change entries are written as in the app, then edited
    # (the address again) so that an update's entry is there too.
    refuge = site_services.site_create(
        actor=sofia,
        team=north,
        name="Harbour house",
        kind="refuge",
        address="1 Placeholder Street",
        opening="residents_only",
        walk_in_hours="",
        status="open",
    )
    refuge = site_services.site_update(
        actor=sofia, site=refuge, version=refuge.version, address=ADDRESS
    )
    security = factories.make_security_assessment(refuge, sofia)
    # Written through the ORM, as staff could have before the services refused a refuge's
    # evidence that names where it is: the pages must still keep it from auditors.
    floor_plan = pdf_titled(f"Floor plan, {ADDRESS}")
    plan = factories.make_escape_plan(
        refuge,
        sofia,
        assembly_point="The corner of Quillfeather Close",
        floor_plan=floor_plan,
        floor_plan_type="application/pdf",
        floor_plan_size=len(floor_plan),
    )
    incident = factories.make_incident(refuge, sofia)
    factories.make_site_action(
        refuge,
        sofia,
        source="incident",
        incident=incident,
        description="Ask the council for a street light on Quillfeather Close.",
    )
    objects = {
        "site_id": refuge,
        "security_assessment_id": security,
        "finding_id": factories.make_finding(security, sofia),
        "site_action_id": factories.make_site_action(refuge, sofia, assessment=security),
        "photo_id": factories.make_photo(refuge, sofia),
        "plan_id": plan,
        "reading_id": EscapePlanReading.objects.create(plan=plan, site=refuge, user=cara),
        "drill_id": factories.make_drill(refuge, sofia),
        "incident_id": incident,
        "page_id": factories.make_safety_page(refuge, sofia, status="published"),
        "term_id": factories.make_sensitive_term(refuge, sofia),
    }
    version = factories.checklist_version()
    objects["checklist_id"] = version
    objects["version_id"] = version
    objects["template_id"] = version.template
    values = {keyword: obj.pk for keyword, obj in objects.items()}
    values["public_id"] = refuge.public_id
    return {
        "refuge": refuge,
        "values": values,
        "aud": factories.make_user("Aud", role=Role.AUDITOR),
        "sam": factories.caseworker(south, "Sam"),
        "stan": factories.supervisor(south, "Stan"),
    }


def urls(world: dict) -> Iterator[tuple[str, str, list[str]]]:
    for name, route, keywords in premises_patterns():
        missing = [k for k in keywords if k not in world["values"]]
        assert not missing, f"{name}: teach the address net which object {missing} names"
        url = route
        for keyword in keywords:
            url = re.sub(rf"<(?:\w+:)?{keyword}>", str(world["values"][keyword]), url)
        yield name, url, keywords


def opened(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


def leaks(content: bytes) -> list[str]:
    text = content.decode("utf-8", "replace").lower()
    flat = ADDRESS.replace("\n", " ").lower()
    return [p for p in [*PARTS, flat] if p.lower() in text]


def test_the_net_finds_the_premises_pages():
    names = {name for name, _route, _keywords in premises_patterns()}
    assert {"premises:dashboard", "premises:sites", "premises:site", "premises:site_edit"} <= names


@pytest.mark.parametrize("who", ["aud", "sam", "stan"])
def test_a_refuges_address_reaches_none_of_them(client, settings, world, who):
    settings.MFA_ENFORCE = False
    user = world[who]
    client.force_login(user)
    problems = []
    shown = set()
    for name, url, keywords in urls(world):
        response = opened(client, url)
        if response.status_code == 200:
            shown.add(name)
        body = (
            b"".join(response.streaming_content)
            if getattr(response, "streaming", False)
            else response.content
        )
        found = leaks(body)
        if found:
            problems.append(f"{name} ({url}) showed {found} to {who}")
        staff_page = name.startswith("premises:")
        if who != "aud" and staff_page and keywords and response.status_code != 404:
            problems.append(f"{name} ({url}) answered {response.status_code} to {who}, not 404")
    assert not problems, "\n".join(problems)
    # Not a net that passes because nothing showed: the auditor sees the refuge's page.
    assert who != "aud" or "premises:site" in shown


def test_the_address_is_in_no_audit_entry(client, settings, world):
    settings.MFA_ENFORCE = False
    for who in ("aud", "sam", "stan"):
        client.force_login(world[who])
        for _name, url, _keywords in urls(world):
            opened(client, url)
    entries = list(AuditEntry.objects.all())
    assert any(e.object_pk == str(world["refuge"].pk) for e in entries)
    for entry in entries:
        text = f"{entry.changes} {entry.additional_data} {entry.object_repr}"
        found = leaks(text.encode())
        assert not found, f"audit entry {entry.pk} holds {found}"


def test_the_net_would_see_a_leak(world):
    """The net itself: the address as a page would print it is found, and so is the floor
    plan's title, the assembly point and the incident's action, were they served."""
    assert leaks(f"<dd>{ADDRESS}</dd>".replace("\n", "<br>").encode())
    plan = world["refuge"].escape_plans.get()
    assert leaks(bytes(plan.floor_plan)) and leaks(plan.assembly_point.encode())
    action = world["refuge"].actions.get(source="incident")
    assert leaks(action.description.encode())
