"""Every audit entry says who or what wrote it, outside a request as well as inside: a
command by its name, a background task by its name and the person it works for. Cara works
in North."""

from __future__ import annotations

import datetime
import importlib
import inspect
import io
import pkgutil
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command, get_commands, load_command_class
from django.utils import timezone
from django_tasks.base import Task

from cases import intake, services
from cases.models import ExportJob, IntakeDraft
from tests import factories
from victimsupport.audit.commands import AuditedCommand
from victimsupport.audit.context import acting_as, on_behalf_of
from victimsupport.audit.models import AuditEntry
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.pdfjobs import produce_document

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _ours(module: str) -> bool:
    return (ROOT / module.split(".")[0]).is_dir()


def test_every_command_of_the_project_names_itself_in_the_log():
    ours = {name: app for name, app in get_commands().items() if _ours(app)}
    assert {"rotate_keys", "purge_drafts", "seed_demo", "load_instrument"} <= set(ours)
    plain = [
        name
        for name, app in ours.items()
        if not isinstance(load_command_class(app, name), AuditedCommand)
    ]
    assert plain == [], f"subclass victimsupport.audit.commands.AuditedCommand: {plain}"


def project_tasks() -> list[Task]:
    """Every task defined in any module of the project's apps (the core's generic document
    task included), found by walking the packages, not from a list."""
    found: list[Task] = []
    for config in apps.get_app_configs():
        if not _ours(config.name):
            continue
        names = [config.name]
        if hasattr(config.module, "__path__"):
            names += [
                info.name
                for info in pkgutil.walk_packages(config.module.__path__, f"{config.name}.")
                if ".migrations" not in info.name and ".management" not in info.name
            ]
        for name in names:
            module = importlib.import_module(name)
            found.extend(
                v
                for v in vars(module).values()
                if isinstance(v, Task) and v.func.__module__ == module.__name__
            )
    return found


def test_every_background_task_names_itself_in_the_log():
    tasks = project_tasks()
    assert produce_document in tasks
    for task in tasks:
        # The decorator lines are part of the function's source.
        assert "@acting_as(system=" in inspect.getsource(task.func), task.name


def test_an_entry_written_by_a_command_carries_its_name(cara):
    draft = intake.draft_start(owner=cara, team=cara.teams.get())
    IntakeDraft.objects.filter(pk=draft.pk).update(expires_at=timezone.now())
    call_command("purge_drafts", stdout=io.StringIO())
    entry = AuditEntry.objects.get(object_pk=str(draft.pk), action=AuditEntry.Action.DELETE)
    assert entry.actor is None
    assert entry.additional_data == {"system": "purge_drafts"}


def test_a_background_export_names_the_worker_and_its_requester(cara):
    case = factories.make_case(team=cara.teams.get(), assigned_to=cara)
    job = ExportJob.objects.create(
        case=case, requested_by=cara, expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    since = factories.audit_mark()
    produce_document.call("cases.exportjob", str(job.pk))
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    written = list(AuditEntry.objects.filter(seq__gt=since))
    assert written
    for entry in written:
        assert entry.actor == cara
        assert entry.additional_data["system"] == "produce_document"


def test_a_label_and_a_person_outside_a_request(cara):
    case = factories.make_case(team=cara.teams.get())
    with acting_as(cara, system="seed_demo"):
        note = services.note_add(case=case, actor=cara, body="Called back.")
        access = record_access(actor=None, obj=case, kind=AccessKind.VIEW)
    created = factories.assert_changed(note, AuditEntry.Action.CREATE, cara)
    assert created.additional_data == {"system": "seed_demo"}
    assert access.actor == cara
    assert access.additional_data == {"system": "seed_demo", "access": "view"}
    # Ended with the block: the next entry is nobody's.
    later = record_access(actor=None, obj=case, kind=AccessKind.VIEW)
    assert later.actor is None and "system" not in later.additional_data


def test_the_signed_in_user_wins_over_a_label_inside_a_request(client, cara):
    case = factories.make_case(team=cara.teams.get(), assigned_to=cara)
    client.force_login(cara)
    since = factories.audit_mark()
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    factories.assert_accessed(case, AccessKind.VIEW, cara, since=since)
    entry = AuditEntry.objects.get(seq__gt=since, action=AuditEntry.Action.ACCESS)
    assert "system" not in entry.additional_data


@pytest.mark.parametrize("label", ["Mira Okafor", "rotate keys", "x" * 65, "", "Rotate"])
def test_a_label_is_never_free_text(label):
    with pytest.raises(ValueError, match="never free text"), acting_as(system=label):
        pass


def test_someone_must_be_acting():
    with pytest.raises(ValueError), acting_as():
        pass


def test_on_behalf_of_needs_a_labelled_block(cara):
    with pytest.raises(RuntimeError):
        on_behalf_of(cara)
    with acting_as(system="produce_case_file"):
        on_behalf_of(cara)
        case = factories.make_case(team=cara.teams.get())
    entry = factories.assert_changed(case, AuditEntry.Action.CREATE, cara)
    assert entry.additional_data == {"system": "produce_case_file"}
