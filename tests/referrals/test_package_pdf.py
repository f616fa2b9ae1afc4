"""The package as a password-protected PDF, for a partner without accounts: Cara, who may
change the North case, makes it; the passphrase is shown to her once; only she downloads it,
while the referral is open. Sam works in South."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.utils import timezone
from pypdf import PdfReader

from referrals import services
from referrals.models import ProtectedPackage, Referral
from tests import factories
from victimsupport.audit.services import AccessKind

pytestmark = pytest.mark.django_db

PASSPHRASE = re.compile(r"<code>([a-z-]+)</code>")


@pytest.fixture
def referral(cara):
    case = factories.make_full_case(cara)
    return factories.sent_referral(case, factories.make_partner("Legal Aid Centre"), by=cara)


def url(referral) -> str:
    return f"/network/cases/{referral.case_id}/referrals/{referral.pk}/pdf/"


def test_the_pdf_is_aes_256_and_opens_with_the_passphrase_shown_once(client_cara, referral, cara):
    explained = client_cara.get(url(referral))
    assert explained.status_code == 200 and "shown to you once" in explained.text
    since = factories.audit_mark()
    made = client_cara.post(url(referral))
    assert made.status_code == 200
    assert "no-store" in made["Cache-Control"] or "max-age=0" in made["Cache-Control"]
    passphrase = PASSPHRASE.search(made.text).group(1)
    assert len(passphrase.split("-")) == services.PASSPHRASE_LENGTH
    factories.assert_accessed(referral, AccessKind.EXPORT, cara, since=since, **{"as": "pdf"})
    package = ProtectedPackage.objects.get(referral=referral)
    # The passphrase is kept nowhere: not on the record, not in the audit log.
    assert passphrase.encode() not in factories.raw_database_bytes()
    link = f"{url(referral)}{package.pk}/"
    assert f'href="{link}"' in made.text

    downloaded = client_cara.get(link)
    assert downloaded.status_code == 200
    assert downloaded["Content-Type"] == "application/pdf"
    assert downloaded["Content-Disposition"] == 'attachment; filename="referral.pdf"'
    factories.assert_accessed(
        referral, AccessKind.DOWNLOAD, cara, since=since, protected_package=str(package.pk)
    )
    reader = PdfReader(io.BytesIO(downloaded.content))
    assert reader.is_encrypted
    encryption = reader.trailer["/Encrypt"]
    assert encryption["/V"] == 5 and encryption["/R"] == 6  # AES-256, never RC4
    assert encryption["/CF"]["/StdCF"]["/CFM"] == "/AESV3"
    assert not reader.decrypt("wrong-words")
    assert reader.decrypt(passphrase)
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Needs a refuge place" in text
    assert referral.case.reference not in text


def test_each_pdf_has_a_new_passphrase():
    phrases = {services.new_passphrase() for _ in range(50)}
    assert len(phrases) == 50
    assert all(len(p.split("-")) == 8 for p in phrases)


def test_only_the_requester_downloads_it(client, referral, cara, north):
    package, _ = services.protected_package_create(referral=referral, actor=cara)
    sofia = factories.supervisor(north)
    client.force_login(sofia)  # sees the case, did not ask for this file
    assert client.get(f"{url(referral)}{package.pk}/").status_code == 404


def test_an_expired_pdf_is_gone(client_cara, referral, cara):
    package, _ = services.protected_package_create(referral=referral, actor=cara)
    ProtectedPackage.objects.filter(pk=package.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert client_cara.get(f"{url(referral)}{package.pk}/").status_code == 404
    services.protected_package_create(referral=referral, actor=cara)
    assert not ProtectedPackage.objects.filter(pk=package.pk).exists()  # purged


@pytest.mark.parametrize("status", ["revoked", "declined", "completed", "draft"])
def test_only_an_open_referral_is_handed_over(client_cara, referral, cara, status):
    package, _ = services.protected_package_create(referral=referral, actor=cara)
    Referral.objects.filter(pk=referral.pk).update(status=status)
    refused = client_cara.post(url(referral))
    assert refused.status_code == 400
    assert "Only a referral that is sent or accepted" in refused.text
    assert ProtectedPackage.objects.filter(referral=referral).count() == 1
    # A file made while it was open is not handed over once it is closed either.
    assert client_cara.get(f"{url(referral)}{package.pk}/").status_code == 404


def test_an_outsider_gets_404(client, referral):
    sam = factories.caseworker(factories.make_team("South"), "Sam")
    client.force_login(sam)
    assert client.get(url(referral)).status_code == 404
    assert client.post(url(referral)).status_code == 404
    assert not ProtectedPackage.objects.exists()


def test_the_referral_must_be_of_the_case_in_the_address(client_cara, referral, cara):
    other = factories.make_case(team=cara.teams.get(), assigned_to=cara)
    wrong = f"/network/cases/{other.pk}/referrals/{referral.pk}/pdf/"
    assert client_cara.get(wrong).status_code == 404


@pytest.mark.parametrize("lapse", ["consent_expired", "agreement_ended", "partner_inactive"])
def test_the_file_is_not_handed_over_once_its_grounds_have_lapsed(
    client_cara, referral, cara, lapse
):
    # Handing the PDF over is when the information leaves: what allowed the send must still
    # hold today.
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    if lapse == "consent_expired":
        type(referral.consent).objects.filter(pk=referral.consent_id).update(expires_on=yesterday)
    elif lapse == "agreement_ended":
        type(referral.agreement).objects.filter(pk=referral.agreement_id).update(
            valid_from=yesterday - datetime.timedelta(days=30), valid_to=yesterday
        )
    else:
        type(referral.partner).objects.filter(pk=referral.partner_id).update(is_active=False)
    since = factories.audit_mark()
    refused = client_cara.post(url(referral))
    assert refused.status_code == 400
    assert not ProtectedPackage.objects.filter(referral=referral).exists()
    assert PASSPHRASE.search(refused.text) is None
    factories.assert_accessed(referral, AccessKind.EXPORT_REFUSED, cara, since=since)
