"""A gunicorn worker killed with SIGKILL in the middle of an intake step and in the middle of
making the case from the draft: no half-made case, the draft as it was, and the next request
(the master's new worker) works. Real processes: gunicorn on the test database, paused at the
chosen point by tests/faults/hooks.py, then killed."""

from __future__ import annotations

import http.client
import io
import threading

import pytest
from django.core.management import call_command

from bench.loadtest.common import Client, Response
from cases.models import Case, ConfidentialityNotice, IntakeDraft, Victim
from tests import factories
from tests.faults.conftest import kill_and_wait_for_new_worker, worker_pids
from victimsupport.audit.chain import verify_chain
from victimsupport.audit.models import AuditEntry

pytestmark = pytest.mark.faults


@pytest.fixture
def signed_in(fault_server):
    team = factories.make_team("North")
    cara = factories.caseworker(team)
    ConfidentialityNotice.objects.create(version=1, title="Confidentiality", body="We keep...")
    browser = Client(fault_server.url)
    browser.login(cara.email, factories.PASSWORD)
    return browser


def post_step(browser: Client, draft_id: str, step: str, data: dict) -> Response:
    url = factories.intake_step_url(draft_id, step)
    return browser.post(url, {**data, "csrfmiddlewaretoken": browser.csrf_token(url)})


def start_draft(browser: Client, steps) -> str:
    token = browser.csrf_token("/cases/intake/")
    response = browser.post("/cases/intake/", {"csrfmiddlewaretoken": token})
    assert response.status == 302, response.text[:500]
    draft_id = response.location.split("/")[3]
    for step, data in steps:
        answered = post_step(browser, draft_id, step, data)
        assert answered.status == 302, (step, answered.text[:1000])
    return draft_id


def killed_while(browser: Client, server, pauses, point: str, path: str, data):
    """Send the request in a thread, kill the worker once it is paused at ``point``."""
    outcome: dict = {}

    def send() -> None:
        try:
            outcome["response"] = browser.post(path, data)
        except (OSError, http.client.HTTPException) as exc:
            outcome["error"] = exc

    pauses.arm(point)
    before = worker_pids(server)
    sender = threading.Thread(target=send)
    sender.start()
    pid = pauses.wait_reached(point)
    assert pid in before  # a gunicorn worker, not the master
    new_pid = kill_and_wait_for_new_worker(server, pid)
    sender.join(timeout=30)
    assert new_pid != pid
    # The connection died with the worker: the browser saw no answer, never a success.
    assert "error" in outcome or outcome["response"].status >= 500
    return outcome


def draft_state(draft_id: str) -> tuple:
    draft = IntakeDraft.objects.get(pk=draft_id)
    return draft.data, draft.step, draft.finished_at, draft.updated_at


def test_worker_killed_during_an_intake_step_keeps_the_draft_as_it_was(
    signed_in, fault_server, pauses
):
    browser = signed_in
    draft_id = start_draft(browser, factories.INTAKE_STEPS[:3])  # safety, notice, person
    before = draft_state(draft_id)
    entries = AuditEntry.objects.count()

    url = factories.intake_step_url(draft_id, "screening")
    data = {**factories.INTAKE_SCREENING, "csrfmiddlewaretoken": browser.csrf_token(url)}
    killed_while(browser, fault_server, pauses, "intake_step", url, data)

    # The step's write was rolled back whole: the draft is exactly as before, still open.
    assert draft_state(draft_id) == before
    assert "screening" not in IntakeDraft.objects.get(pk=draft_id).data
    assert AuditEntry.objects.count() == entries
    # The next request, on the new worker, saves the step and the intake goes on to the end.
    for step, data in factories.INTAKE_STEPS[3:]:
        assert post_step(browser, draft_id, step, data).status == 302
    token = browser.csrf_token(factories.intake_step_url(draft_id, "review"))
    finished = browser.post(f"/cases/intake/{draft_id}/finish/", {"csrfmiddlewaretoken": token})
    assert finished.status == 302, finished.text[:500]
    assert Case.objects.filter(intake_draft_id=draft_id).count() == 1
    assert verify_chain().ok


@pytest.mark.parametrize("point", ["intake_finish_midway", "intake_finish"])
def test_worker_killed_while_making_the_case_leaves_no_half_case(
    signed_in, fault_server, pauses, point
):
    browser = signed_in
    draft_id = start_draft(browser, factories.INTAKE_STEPS)
    before = draft_state(draft_id)
    cases, victims, entries = (
        Case.objects.count(),
        Victim.objects.count(),
        AuditEntry.objects.count(),
    )
    path = f"/cases/intake/{draft_id}/finish/"
    token = browser.csrf_token(factories.intake_step_url(draft_id, "review"))

    killed_while(browser, fault_server, pauses, point, path, {"csrfmiddlewaretoken": token})

    # No case, no victim, no audit entry of them: nothing of the half-made case is left, and
    # the draft keeps every answer, unfinished.
    assert (Case.objects.count(), Victim.objects.count()) == (cases, victims)
    assert AuditEntry.objects.count() == entries
    assert draft_state(draft_id) == before
    assert before[2] is None
    # Submitting again (the next request, on the new worker) makes the case once.
    finished = browser.post(path, {"csrfmiddlewaretoken": token})
    assert finished.status == 302, finished.text[:500]
    case = Case.objects.get(intake_draft_id=draft_id)
    assert Victim.objects.get(case=case).given_name == factories.INTAKE_PERSON["given_name"]
    assert IntakeDraft.objects.get(pk=draft_id).data == {}
    assert browser.get(f"/cases/{case.pk}/").status == 200
    report = verify_chain()
    assert report.ok, report.problem
    call_command("verify_audit", stdout=io.StringIO())
