"""Someone the victim fears, recorded in the file after the copy was signed off: every step of
the delivery checks again, flags the request (the flag is kept) and refuses.

The world is test_delivery's: Dana is the data-protection officer; Alex Martin asks."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cases.models import ThirdParty
from dataprotection.models import Delivery, RequestStatus
from dataprotection.services import delivery as services
from tests.dataprotection import test_delivery as base

pytestmark = pytest.mark.django_db

dana, case, approved = base.dana, base.case, base.approved  # the fixtures

FEARED = "someone the victim fears"


def feared_now(case):
    ThirdParty.objects.create(case=case, role=ThirdParty.Role.FEARED, name="Alex Martin")


def test_preparing_the_delivery_is_refused_once_the_requester_is_recorded_as_feared(
    dana, case, approved
):
    feared_now(case)
    with pytest.raises(ValidationError, match=FEARED):
        services.delivery_prepare(actor=dana, request=approved)
    approved.refresh_from_db()
    assert approved.feared_match and approved.blocked_by_feared_match  # kept
    assert not Delivery.objects.exists()


STEPS = {
    "passphrase": lambda dana, d: services.passphrase_sent(actor=dana, delivery=d, method="text"),
    "link": lambda dana, d: services.delivery_link_create(actor=dana, delivery=d),
    "hand_over": lambda dana, d: services.delivery_hand_over(
        actor=dana, delivery=d, via="in_person"
    ),
}


@pytest.mark.parametrize("step", list(STEPS))
def test_each_delivery_step_checks_the_feared_match_again_and_keeps_the_flag(
    dana, case, approved, step
):
    delivery = base.prepared(dana, approved)
    feared_now(case)
    with pytest.raises(ValidationError, match=FEARED):
        STEPS[step](dana, delivery)
    approved.refresh_from_db()
    delivery.refresh_from_db()
    assert approved.feared_match and approved.status == RequestStatus.APPROVED
    assert not delivery.passphrase_sent_at and not delivery.link_id
    assert not delivery.handed_over_at
    # Flagged, the next try is refused too, without finding it again.
    with pytest.raises(ValidationError, match=FEARED):
        STEPS[step](dana, delivery)
