"""Test-only pauses at chosen points of real server and worker processes, so that a fault test
can kill a process "in the middle" of something, deterministically.

Installed only by the settings modules of this folder (``tests.faults.server_settings``,
``tests.faults.worker_settings``), through the app config below: no production path has a
hook. A point pauses only while its arm file exists, and only once per arm: the test creates
``<FAULT_DIR>/<point>.arm``; the first process to reach the point takes the arm (a rename, so
two threads cannot both take it), writes its pid to ``<point>.reached`` and waits for
``<point>.release`` (or a minute) without returning. The test kills it meanwhile.
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.db import transaction

WAIT_SECONDS = 60


def pause(point: str) -> None:
    folder = os.environ.get("FAULT_DIR")
    if not folder:
        return
    arm = Path(folder) / f"{point}.arm"
    try:
        arm.rename(arm.with_suffix(".taken"))
    except FileNotFoundError:
        return
    (Path(folder) / f"{point}.reached").write_text(str(os.getpid()))
    release = Path(folder) / f"{point}.release"
    deadline = time.monotonic() + WAIT_SECONDS
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def pause_before_commit(function: Any, point: str) -> Any:
    """``function`` run in a transaction that pauses at ``point`` after all its writes, just
    before the commit: the worst moment to die."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with transaction.atomic():
            result = function(*args, **kwargs)
            pause(point)
        return result

    return wrapper


def pause_before(function: Any, point: str) -> Any:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        pause(point)
        return function(*args, **kwargs)

    return wrapper


def install() -> None:
    from cases import intake
    from victimsupport import pdf

    # The views call these through their modules, so replacing the module's name suffices.
    intake.draft_save_step = pause_before_commit(intake.draft_save_step, "intake_step")
    intake.intake_finish = pause_before_commit(intake.intake_finish, "intake_finish")
    # Halfway through making the case: the case, its screen and its victim are written.
    intake.duplicates_record_hidden = pause_before(
        intake.duplicates_record_hidden, "intake_finish_midway"
    )
    pdf.lay_out = pause_before(pdf.lay_out, "pdf_layout")

    stalled = os.environ.get("FAULT_STALLED_SECONDS")
    if stalled:
        from datetime import timedelta

        from victimsupport.pdfjobs import job_models

        for model in job_models():
            model.STALLED_AFTER = timedelta(seconds=float(stalled))


class FaultHooksConfig(AppConfig):
    name = "tests.faults"
    label = "faults"
    verbose_name = "Fault-test pauses (tests only)"

    def ready(self) -> None:
        install()
