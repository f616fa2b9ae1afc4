"""Fixtures shared by the case tests."""

from __future__ import annotations

import pytest

from cases.models import ConfidentialityNotice


@pytest.fixture
def notice():
    """The published confidentiality notice an intake starts with."""
    return ConfidentialityNotice.objects.create(version=1, title="Confidentiality", body="We keep…")
