"""The partner's side of a referral, and the hand-over to partners without accounts.

- A partner organisation's users, added and stopped by administrators;
- the inbox of a partner user: the open referrals sent to their organisation, each opened as
  its package exactly as sent, answered by accepting, declining or recording the outcome;
- for a partner without accounts: the package as a password-protected PDF, made by staff who
  may see the case, its passphrase shown once.

A partner user reaches nothing else: every other page of the service answers them 404 (they
hold no case role), and their inbox only shows what ``Referral.objects.visible_to`` lets them.
"""

from __future__ import annotations

from typing import Any

from allauth.account.forms import ResetPasswordForm
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.access import get_case_for_user
from referrals import forms, services
from referrals.models import (
    INBOX_RANK,
    PartnerMembership,
    PartnerOrganisation,
    ProtectedPackage,
    Referral,
    partner_of,
)
from victimsupport import keyset
from victimsupport.access import Role, get_for_user, has_role
from victimsupport.accounts.adapter import MailNotSent
from victimsupport.concurrency import EditConflict
from victimsupport.pdfjobs import pdf_response

# --- Partner users (administrators) -----------------------------------------------------------


def _partner_for_administrator(request: HttpRequest, pk: int) -> PartnerOrganisation:
    if not has_role(request.user, Role.ADMINISTRATOR):
        raise Http404("No partner organisation found.")
    return get_for_user(request.user, PartnerOrganisation, pk)


def _users_context(partner: PartnerOrganisation, form: Any = None) -> dict[str, Any]:
    memberships = (
        PartnerMembership.objects.filter(partner=partner)
        .select_related("user")
        .order_by("-user__is_active", "user__first_name", "user__pk")
    )
    return {"partner": partner, "memberships": memberships, "form": form}


@login_required
@require_GET
def partner_users(request: HttpRequest, pk: int) -> HttpResponse:
    partner = _partner_for_administrator(request, pk)
    return render(request, "referrals/partner_users.html", _users_context(partner))


@login_required
@require_http_methods(["GET", "POST"])
def partner_user_add(request: HttpRequest, pk: int) -> HttpResponse:
    partner = _partner_for_administrator(request, pk)
    form = forms.PartnerUserForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                user = services.partner_user_create(
                    partner=partner, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                _send_password_link(request, user)
                return redirect("referrals:partner_users", pk=partner.pk)
        return render(
            request, "referrals/partner_user_add.html", _users_context(partner, form), status=400
        )
    return render(request, "referrals/partner_user_add.html", _users_context(partner, form))


def _send_password_link(request: HttpRequest, user: Any) -> None:
    """The new user chooses their own password: allauth's reset e-mail, as if they had asked
    for it (the link expires as every reset link does)."""
    reset = ResetPasswordForm(data={"email": user.email})
    try:
        if not reset.is_valid():
            raise MailNotSent
        reset.save(request)
    except MailNotSent:
        messages.warning(
            request,
            _(
                "Account added, but the e-mail to choose a password could not be sent. They "
                "can ask for it themselves on the page to reset a password, with this address."
            ),
        )
        return
    messages.success(
        request,
        _(
            "Account added. An e-mail has gone to them to choose their password; they will "
            "then set up their second factor."
        ),
    )


@login_required
@require_POST
def partner_user_deactivate(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    partner = _partner_for_administrator(request, pk)
    membership = PartnerMembership.objects.filter(partner=partner, user_id=user_id).first()
    if membership is None:
        raise Http404("No such user of this partner.")
    services.partner_user_deactivate(partner=partner, actor=request.user, user=membership.user)
    messages.success(request, _("Their access has ended. They can no longer sign in."))
    return redirect("referrals:partner_users", pk=partner.pk)


# --- The partner's inbox ----------------------------------------------------------------------


def _require_partner(request: HttpRequest) -> None:
    if not has_role(request.user, Role.PARTNER):
        raise Http404("No inbox here.")


INBOX_PAGE_SIZE = 25


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The open referrals sent to the partner user's organisation: those waiting for an
    answer first (urgent, soon, routine; oldest first), then those accepted.
    Dates, urgency, purpose and status only: the package is read on its own page, where the
    opening is recorded."""
    _require_partner(request)
    referrals = (
        Referral.objects.visible_to(request.user)
        .only("id", "purpose", "urgency", "status", "sent_at", "answered_at", "version")
        .annotate(inbox_rank=INBOX_RANK)
    )
    # A busy refuge receives hundreds: a page at a time, as the case lists do, each page a
    # seek from the last one shown (the rank is worked out in the database).
    page = keyset.paginate(
        referrals,
        ordering=("inbox_rank", "sent_at", "pk"),
        nullable=("sent_at",),
        cursor=request.GET.get(keyset.CURSOR),
        per_page=INBOX_PAGE_SIZE,
        namespace="referrals.inbox",
    )
    return render(
        request,
        "referrals/inbox.html",
        {
            "referrals": page.object_list,
            "page": page,
            "partner": partner_of(request.user),
            "now": timezone.now(),
        },
    )


def _received(request: HttpRequest, pk: Any) -> Referral:
    _require_partner(request)
    return get_for_user(request.user, Referral, pk, write=True)


def _received_page(
    request: HttpRequest, referral: Referral, *, status: int = 200, **bound: Any
) -> HttpResponse:
    """The package as sent, with the answers its state allows (a form bound to what was typed
    when it is shown again after a refusal). Every showing is an access entry."""
    initial = {"version": referral.version}
    context = {
        "referral": referral,
        # The package is the HTML rendered when the referral was sent, by our own templates
        # with autoescaping on (every value from the case file escaped then), and stored
        # encrypted since: it is shown as it was sent, not re-rendered or re-escaped.
        "package": mark_safe(referral.package),
        "accept_form": bound.get("accept_form") or forms.AcceptForm(initial=initial),
        "decline_form": bound.get("decline_form") or forms.DeclineForm(initial=initial),
        "outcome_form": bound.get("outcome_form") or forms.OutcomeForm(initial=initial),
        "unsaved": bound.get("unsaved", ""),
    }
    services.referral_package_viewed(referral=referral, actor=request.user)
    response = render(request, "referrals/received.html", context, status=status)
    # The package is not kept by the browser once the page is left (a shared computer).
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def received(request: HttpRequest, pk: Any) -> HttpResponse:
    return _received_page(request, _received(request, pk))


CONFLICT = _(
    "Someone else at your organisation answered this referral, or it changed, while you were "
    "reading it. Nothing you sent was saved: see where it stands now."
)
CLOSED = _(
    "This referral is no longer open to you: it was answered by someone else at your "
    "organisation, or withdrawn by the service that sent it. Nothing you sent was saved."
)


def _answer(request: HttpRequest, pk: Any, form_class: Any, key: str, service: Any, done: Any):
    referral = _received(request, pk)
    form = form_class(request.POST, initial={"version": referral.version})
    if not form.is_valid():
        page = _received_page(request, referral, status=400, **{key: form})
        if form.version_lost:
            page.status_code = 409
        return page
    data = dict(form.cleaned_data)
    try:
        answered = service(referral=referral, actor=request.user, **data)
    except EditConflict:
        current = Referral.objects.visible_to(request.user).filter(pk=referral.pk).first()
        if current is None:
            messages.error(request, CLOSED)
            return redirect("referrals:inbox")
        messages.error(request, CONFLICT)
        # What they typed is shown back (not saved), whichever answers the page now offers.
        unsaved = data.get("reason") or data.get("outcome") or ""
        return _received_page(request, current, status=409, unsaved=unsaved)
    except ValidationError as exc:
        form.add_error(None, exc)
        return _received_page(request, referral, status=400, **{key: form})
    messages.success(request, done)
    if answered.is_open:
        return redirect("referrals:received", pk=answered.pk)
    return redirect("referrals:inbox")


@login_required
@require_POST
def received_accept(request: HttpRequest, pk: Any) -> HttpResponse:
    return _answer(
        request,
        pk,
        forms.AcceptForm,
        "accept_form",
        services.referral_accept,
        _("Referral accepted. Record the outcome here when your work with the person ends."),
    )


@login_required
@require_POST
def received_decline(request: HttpRequest, pk: Any) -> HttpResponse:
    return _answer(
        request,
        pk,
        forms.DeclineForm,
        "decline_form",
        services.referral_decline,
        _("Referral declined. The service that sent it will see your reason."),
    )


@login_required
@require_POST
def received_complete(request: HttpRequest, pk: Any) -> HttpResponse:
    return _answer(
        request,
        pk,
        forms.OutcomeForm,
        "outcome_form",
        services.referral_complete,
        _("Outcome recorded. The referral is closed, and its package is no longer shown."),
    )


# --- The protected PDF (staff, for partners without accounts) ---------------------------------


def _staff_referral(request: HttpRequest, case_pk: Any, pk: Any) -> Referral:
    # A hand-over shares the case's information again: for those who may change the case.
    case = get_case_for_user(request.user, case_pk, write=True)
    return get_for_user(
        request.user, Referral.objects.of_case(case).select_related("partner"), pk, write=True
    )


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def package_pdf(request: HttpRequest, case_pk: Any, pk: Any) -> HttpResponse:
    """GET: what will happen. POST: the PDF is made and kept for its requester; the page
    shows the passphrase, once (it is stored nowhere), and the link to download the file."""
    referral = _staff_referral(request, case_pk, pk)
    context: dict[str, Any] = {
        "referral": referral,
        "case_pk": referral.case_id,
        "hours": settings.PROTECTED_PACKAGE_HOURS,
    }
    if request.method == "POST":
        try:
            package, passphrase = services.protected_package_create(
                referral=referral, actor=request.user
            )
        except ValidationError as exc:
            context["errors"] = exc.messages
            return render(request, "referrals/package_pdf.html", context, status=400)
        context.update(package=package, passphrase=passphrase)
        return render(request, "referrals/package_pdf_ready.html", context)
    return render(request, "referrals/package_pdf.html", context)


@login_required
@require_GET
def package_pdf_download(
    request: HttpRequest, case_pk: Any, pk: Any, package_id: Any
) -> HttpResponse:
    referral = _staff_referral(request, case_pk, pk)
    package = get_for_user(
        request.user, ProtectedPackage.objects.filter(referral=referral), package_id
    )
    services.protected_package_downloaded(package=package, actor=request.user)
    return pdf_response(package.pdf, ProtectedPackage.FILENAME)
