"""The DPO's delivery of a signed-off copy: the final PDF, the passphrase by the person's safe
channel, and a one-time link or a hand-over in person. The data-protection officer only
(anyone else: 404)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dataprotection.forms.delivery import HandOverForm, LinkForm, PassphraseSentForm
from dataprotection.models import AccessRequest, CopyJob, Delivery, RequestStatus
from dataprotection.roles import require_dpo_page
from dataprotection.services import delivery as services
from victimsupport import pdfjobs
from victimsupport.access import get_for_user
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.forms import add_service_errors


def _request_for_dpo(request: HttpRequest, pk: Any, *, write: bool = False) -> AccessRequest:
    require_dpo_page(request.user)
    return get_for_user(request.user, AccessRequest, pk, write=write)


def _delivery_of(access_request: AccessRequest) -> Delivery | None:
    return Delivery.objects.filter(request=access_request).defer("pdf").first()


def _has_pdf(delivery: Delivery | None) -> bool:
    return delivery is not None and (
        Delivery.objects.filter(request=delivery.request_id, pdf__isnull=False).exists()
    )


def _page(
    request: HttpRequest,
    access_request: AccessRequest,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    **forms: Any,
) -> HttpResponse:
    """The delivery page: what it shows (the passphrase, the cases' safe channels) is an
    access entry for the request and each of its cases."""
    delivery = _delivery_of(access_request)
    job = services.final_job(actor=request.user, request=access_request)
    expired = delivery is not None and services.link_expired(delivery)
    has_pdf = not expired and _has_pdf(delivery)
    # The worker is done but the PDF is not kept on the delivery yet: the DPO's POST keeps
    # it ("Keep the finished copy for delivery", or any next step); this page never writes.
    to_keep = (
        not has_pdf
        and not expired
        and job is not None
        and job.is_ready
        and delivery is not None
        and bool(delivery.passphrase)
    )
    if job is not None and not has_pdf and delivery is not None and delivery.passphrase:
        # Retrying a final PDF means preparing the delivery again, not the copy helper's
        # draft: the status include reads these names from the job.
        job.get_retry_url = lambda: reverse(  # type: ignore[method-assign]
            "dataprotection:delivery_prepare", args=[access_request.pk]
        )
    channel = services.safe_channel(access_request)
    cases = list(access_request.cases.only("id", "reference"))
    record_access(
        actor=request.user, obj=access_request, kind=AccessKind.VIEW, detail={"as": "delivery"}
    )
    for case in cases:
        record_access(actor=request.user, obj=case, kind=AccessKind.VIEW, detail={"as": "delivery"})
    context = {
        "access_request": access_request,
        "delivery": delivery,
        "has_pdf": has_pdf,
        "job": job,
        "show_job": job is not None and not has_pdf and not expired and not job.is_ready,
        "to_keep": to_keep,
        "link_expired": expired,
        "link_expired_message": services.link_expired_message(delivery) if expired else "",
        # Shown until it is recorded as sent; afterwards only on a POST asking for it, once.
        "show_passphrase": bool(
            delivery is not None
            and delivery.passphrase
            and (delivery.passphrase_sent_at is None or forms.get("show_passphrase"))
        ),
        "refresh_seconds": pdfjobs.REFRESH_SECONDS,
        "channel": channel,
        "do_not_contact_message": services.do_not_contact_message(channel)
        if channel.blocked
        else "",
        "approved": access_request.status == RequestStatus.APPROVED,
        "link_days": services.LINK_DAYS,
        "errors": errors or [],
        "passphrase_form": forms.get("passphrase_form") or PassphraseSentForm(),
        "hand_over_form": forms.get("hand_over_form") or HandOverForm(),
        "link_form": LinkForm(),
        "link": forms.get("link"),
    }
    return render(request, "dataprotection/delivery.html", context, status=status)


@login_required
@require_GET
def delivery(request: HttpRequest, pk: Any) -> HttpResponse:
    """Where the delivery stands. It reads only: a final PDF the worker has finished is kept
    on the delivery by a POST (``delivery_keep``, or the next step)."""
    access_request = _request_for_dpo(request, pk)
    return _page(request, access_request)


@login_required
@require_POST
def delivery_keep(request: HttpRequest, pk: Any) -> HttpResponse:
    """ "Keep the finished copy for delivery": the worker's PDF copied onto the delivery (the
    job itself is purged within a day)."""
    access_request = _request_for_dpo(request, pk, write=True)
    try:
        services.delivery_store(actor=request.user, request=access_request)
    except ValidationError as exc:
        return _page(request, access_request, status=400, errors=exc.messages)
    messages.success(request, _("The final PDF is kept for the delivery."))
    return redirect("dataprotection:delivery", pk=access_request.pk)


@login_required
@require_POST
def delivery_passphrase_show(request: HttpRequest, pk: Any) -> HttpResponse:
    """The passphrase once more, after it was recorded as sent: shown in this answer only,
    and its own access entry."""
    access_request = _request_for_dpo(request, pk)
    found = _existing_delivery(access_request)
    if found is None:
        return _page(request, access_request, status=400, errors=_no_delivery())
    try:
        services.delivery_passphrase_shown(actor=request.user, delivery=found)
    except ValidationError as exc:
        return _page(request, access_request, status=400, errors=exc.messages)
    return _page(request, access_request, show_passphrase=True)


@login_required
@require_POST
def delivery_prepare(request: HttpRequest, pk: Any) -> HttpResponse:
    access_request = _request_for_dpo(request, pk, write=True)
    try:
        services.delivery_prepare(actor=request.user, request=access_request)
    except ValidationError as exc:
        return _page(request, access_request, status=400, errors=exc.messages)
    messages.success(request, _("The final PDF is being made in the person's language."))
    return redirect("dataprotection:delivery", pk=access_request.pk)


def _existing_delivery(access_request: AccessRequest) -> Delivery | None:
    """The request's delivery (the URL names the request; its delivery follows it)."""
    return _delivery_of(access_request)


def _no_delivery() -> list[str]:
    return [_("Prepare the delivery first.")]


@login_required
@require_POST
def delivery_passphrase_sent(request: HttpRequest, pk: Any) -> HttpResponse:
    access_request = _request_for_dpo(request, pk, write=True)
    form = PassphraseSentForm(request.POST)
    found = _existing_delivery(access_request)
    if found is None:
        return _page(request, access_request, status=400, errors=_no_delivery())
    if form.is_valid():
        try:
            services.passphrase_sent(
                actor=request.user, delivery=found, method=form.cleaned_data["method"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Recorded: the passphrase was sent."))
            return redirect("dataprotection:delivery", pk=access_request.pk)
    return _page(request, access_request, status=400, passphrase_form=form)


@login_required
@require_POST
def delivery_link(request: HttpRequest, pk: Any) -> HttpResponse:
    """Makes the one-time link and shows it, this once, in the answer itself: its secret is
    kept nowhere (only its digest), so it cannot be shown after a redirect."""
    access_request = _request_for_dpo(request, pk, write=True)
    found = _existing_delivery(access_request)
    if found is None:
        return _page(request, access_request, status=400, errors=_no_delivery())
    try:
        _made, link = services.delivery_link_create(actor=request.user, delivery=found)
    except ValidationError as exc:
        return _page(request, access_request, status=400, errors=exc.messages)
    return _page(request, access_request, link=link)


@login_required
@require_POST
def delivery_hand_over(request: HttpRequest, pk: Any) -> HttpResponse:
    access_request = _request_for_dpo(request, pk, write=True)
    form = HandOverForm(request.POST)
    found = _existing_delivery(access_request)
    if found is None:
        return _page(request, access_request, status=400, errors=_no_delivery())
    if form.is_valid():
        try:
            services.delivery_hand_over(
                actor=request.user, delivery=found, via=form.cleaned_data["via"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Recorded: the copy was handed over. It is delivered."))
            return redirect("dataprotection:delivery", pk=access_request.pk)
    return _page(request, access_request, status=400, hand_over_form=form)


@login_required
@require_GET
def delivery_pdf(request: HttpRequest, pk: Any) -> HttpResponse:
    """The protected PDF, for the DPO to hand over: its download is an access entry."""
    access_request = _request_for_dpo(request, pk)
    found = Delivery.objects.filter(request=access_request, pdf__isnull=False).first()
    if found is None or services.link_expired(found):
        raise Http404("No document found.")
    services.delivery_downloaded(actor=request.user, delivery=found)
    return pdfjobs.pdf_response(found.pdf, CopyJob.FILENAME)
