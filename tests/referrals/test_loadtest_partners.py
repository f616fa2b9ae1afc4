"""The load test's partner accounts: members of the busiest partners, partners and nothing
more, each with an authenticator app, written to a private file."""

from __future__ import annotations

import io
import stat

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from bench.loadtest.common import read_accounts
from referrals.models import PartnerMembership
from tests import factories


@pytest.mark.django_db
def test_partner_accounts_belong_to_the_partners_with_referrals(tmp_path, cara):
    quiet = factories.make_partner("Quiet Refuge")  # received nothing
    busy = factories.make_partner("Busy Refuge")
    factories.sent_referral(factories.make_full_case(cara), busy)
    path = tmp_path / "partners"
    call_command("loadtest_partners", count=2, password_file=path, stdout=io.StringIO())

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    accounts = read_accounts(path)
    assert len(accounts) == 2
    for email, password, _secret in accounts:
        user = authenticate(username=email, password=password)
        assert user is not None and not user.is_staff
        assert {g.name for g in user.groups.all()} == {"partner"}
        assert not user.teams.exists()
    # The busiest first: the first accounts' inboxes have referrals to read.
    partners = [PartnerMembership.objects.get(user__email=e).partner for e, _p, _s in accounts]
    assert partners == [busy, quiet]


@pytest.mark.django_db
def test_partner_accounts_are_refused_in_production(tmp_path, settings):
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="refused"):
        call_command("loadtest_partners", password_file=tmp_path / "p", stdout=io.StringIO())
    assert not (tmp_path / "p").exists()
