"""The person's one-time download page: public, minimal, works once within seven days, never
sees its secret in a URL, and carries the quick-exit button and the private headers."""

from __future__ import annotations

import datetime
import io
import re
import types
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cases.models import ContactPreference
from dataprotection.models import Delivery, RequestStatus
from dataprotection.services import delivery as services
from tests import factories
from victimsupport.audit.models import AuditEntry
from victimsupport.audit.services import AccessKind
from victimsupport.pdfjobs import produce_document

pytestmark = pytest.mark.django_db

REFUSED = "This link cannot be used"


@pytest.fixture
def dana():
    return factories.dpo("Dana")


@pytest.fixture
def linked(north, cara, dana):
    """A delivery with its PDF and a fresh link: (delivery, link_id, secret, full link)."""
    case = factories.make_case(team=north, assigned_to=cara)
    ContactPreference.objects.create(case=case, method="text", is_safe=True)
    request = factories.approved_request(case, logged_by=dana, html="<p>Your notes.</p>")
    delivery, job = services.delivery_prepare(actor=dana, request=request)
    produce_document.call("dataprotection.copyjob", str(job.pk))
    job.refresh_from_db()
    services.delivery_store(actor=dana, request=request, job=job)
    delivery, link = services.delivery_link_create(actor=dana, delivery=delivery)
    link_id, secret = re.search(r"/copy/([\w-]+)/#([\w-]+)$", link).groups()
    return delivery, link_id, secret, link


def page_url(link_id: str) -> str:
    return reverse("copy_download", args=[link_id])


def download(client, link_id: str, secret: str, field: str = "secret"):
    return client.post(page_url(link_id), {field: secret})


def test_the_link_downloads_the_protected_file_once(client, linked):
    delivery, link_id, secret, _link = linked
    response = download(client, link_id, secret)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="copy.pdf"' in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.is_encrypted and reader.decrypt(delivery.passphrase)
    delivery.refresh_from_db()
    delivery.request.refresh_from_db()
    assert delivery.link_used_at is not None
    assert delivery.request.status == RequestStatus.DELIVERED
    again = download(client, link_id, secret)
    assert again.status_code == 400 and again["Content-Type"].startswith("text/html")
    assert REFUSED in again.content.decode()


def test_the_download_is_audited_as_the_system_for_no_one_signed_in(client, linked):
    delivery, link_id, secret, _link = linked
    since = factories.audit_mark()
    download(client, link_id, secret)
    entry = factories.assert_accessed(
        delivery.request, AccessKind.DOWNLOAD, None, since=since, via="link"
    )
    assert entry.additional_data["system"] == services.LINK_SYSTEM
    changes = AuditEntry.objects.get_for_object(delivery.request).filter(
        seq__gt=since, action=AuditEntry.Action.UPDATE
    )
    assert any("status" in e.changes for e in changes)


def test_two_clicks_at_once_cannot_both_download(client, linked, monkeypatch):
    """The second click loads the link while it is still unused; the first one's UPDATE wins
    before the second claims it: only the conditional UPDATE stands between them."""
    delivery, link_id, secret, _link = linked
    import hmac

    def compare_while_the_other_click_wins(a, b):
        Delivery.objects.filter(pk=delivery.pk).update(link_used_at=timezone.now())
        return hmac.compare_digest(a, b)

    monkeypatch.setattr(
        services, "hmac", types.SimpleNamespace(compare_digest=compare_while_the_other_click_wins)
    )
    response = download(client, link_id, secret)
    assert response.status_code == 400 and REFUSED in response.content.decode()


def test_an_expired_link_is_refused_with_the_same_words(client, linked):
    delivery, link_id, secret, _link = linked
    Delivery.objects.filter(pk=delivery.pk).update(
        link_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = download(client, link_id, secret)
    assert response.status_code == 400 and REFUSED in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.link_used_at is None


def test_a_link_works_until_its_seventh_day(client, linked):
    delivery, link_id, secret, _link = linked
    Delivery.objects.filter(pk=delivery.pk).update(
        link_expires_at=timezone.now() + datetime.timedelta(minutes=1)
    )
    assert download(client, link_id, secret)["Content-Type"] == "application/pdf"


def test_a_wrong_secret_or_an_unknown_link_is_refused_with_the_same_words(client, linked):
    delivery, link_id, secret, _link = linked
    answers = [
        download(client, link_id, secret[:-1] + ("A" if secret[-1] != "A" else "B")),
        download(client, link_id, "guess"),
        download(client, "no-such-link-id-at-all", secret),
        # Anyone may type an address: PostgreSQL refused the NUL with a server error.
        download(client, "a\x00b", secret),
        download(client, "x" * 200, secret),
    ]
    texts = set()
    for response in answers:
        assert response.status_code == 400
        page = response.content.decode()
        assert REFUSED in page
        texts.add(re.search(r'role="alert"><p>(.*?)</p>', page).group(1))
    assert len(texts) == 1
    delivery.refresh_from_db()
    assert delivery.link_used_at is None
    # The right secret still works afterwards.
    assert download(client, link_id, secret)["Content-Type"] == "application/pdf"


def test_without_javascript_the_typed_code_works(client, linked):
    _delivery, link_id, secret, _link = linked
    response = client.get(page_url(link_id))
    assert 'name="code"' in response.content.decode()
    assert download(client, link_id, f" #{secret} ", field="code")["Content-Type"] == (
        "application/pdf"
    )


def test_the_secret_is_never_in_a_url_the_server_receives(client, linked):
    delivery, link_id, secret, link = linked
    # What the browser sends of the link: the path, never the fragment.
    parts = urlsplit(link)
    assert parts.fragment == secret and parts.path == page_url(link_id)
    assert secret not in parts.path and not parts.query
    since = factories.audit_mark()
    response = client.get(page_url(link_id))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert b"%PDF" not in response.content and secret not in page
    # The form posts the secret in its body, to the page's own address (no action given).
    assert re.search(r'<form method="post"[^>]*>', page)
    assert "action=" not in re.search(r'<form method="post"[^>]*>', page).group(0)
    delivery.refresh_from_db()
    assert delivery.link_used_at is None
    factories.assert_not_accessed(delivery.request, since=since)
    assert download(client, link_id, "")["Content-Type"].startswith("text/html")


def test_the_page_has_the_quick_exit_and_private_headers(client, linked, settings):
    _delivery, link_id, secret, _link = linked
    settings.QUICK_EXIT_URL = "https://weather.example/"
    for response in (client.get(page_url(link_id)), download(client, link_id, secret)):
        assert response["Referrer-Policy"] == "same-origin"  # no-referrer breaks the POST
        assert "no-store" in response["Cache-Control"]
        assert "noindex" in response["X-Robots-Tag"]
    page = client.get(page_url(link_id)).content.decode()
    assert re.search(r'id="quick-exit" href="https://weather.example/"', page)
    # First thing on the page, before the main content.
    assert page.index('id="quick-exit"') < page.index("<main")
    assert "js/quick_exit.js" in page and "js/copy_link.js" in page
    # No inline script (the CSP allows only our own files).
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert "history already" in page or "does not erase" in page
    assert "passphrase" in page and "separately" in page


def test_the_page_shows_nothing_of_the_staff_system(client, linked, dana):
    _delivery, link_id, _secret, _link = linked
    page = client.get(page_url(link_id)).content.decode()
    for word in ("Casework", "Dana", "site-header", "nav", "audit log", "Sign out"):
        assert word not in page, word
    # Even to a member of staff who happens to be signed in.
    client.force_login(dana)
    assert "Dana" not in client.get(page_url(link_id)).content.decode()


def test_the_quick_exit_script_replaces_the_history_entry():
    from pathlib import Path

    from django.contrib.staticfiles import finders

    script = Path(finders.find("js/quick_exit.js")).read_text()
    assert "location.replace(" in script and "data-exit-url" in script
    partial = Path(finders.find("js/copy_link.js")).read_text()
    assert "location.hash" in partial and "replaceState" in partial


def test_a_refused_code_is_not_echoed_back(client, linked):
    _delivery, link_id, secret, _link = linked
    typed = "typed-code-" + secret[:10]
    response = client.post(page_url(link_id), {"code": typed, "secret": secret + "x"})
    assert response.status_code == 400
    page = response.content.decode()
    assert typed not in page and secret not in page
    assert re.search(r'<input type="password" name="code"', page)
    assert re.search(r'<input type="hidden" name="secret" id="copy-secret" value="">', page)


def test_the_page_keeps_the_secret_for_this_tab_only_and_forgets_it_on_quick_exit(client, linked):
    from pathlib import Path

    from django.contrib.staticfiles import finders

    _delivery, link_id, _secret, _link = linked
    assert "js/copy_link.js" in client.get(page_url(link_id)).content.decode()
    script = Path(finders.find("js/copy_link.js")).read_text()
    assert "sessionStorage" in script and "localStorage" not in script
    assert "setItem(key" in script and "getItem(key)" in script
    assert "removeItem(key)" in script
    assert 'getElementById("quick-exit")' in script
    assert 'addEventListener("submit", forget)' in script
    assert 'exit.addEventListener("click", forget)' in script


def test_the_page_gives_its_own_tab_icon_so_the_browser_fetches_nothing_that_leaves_a_cookie(
    client, linked
):
    _delivery, link_id, _secret, _link = linked
    response = client.get(page_url(link_id))
    assert '<link rel="icon" href="data:,">' in response.content.decode()
    assert "favicon" not in response.content.decode()  # the template's comment stays one
