"""The staff side of a referral: drafting it, previewing its package, sending it, asking for
and deciding on a legal override, and revoking it.

Every page fetches the case and the referral through ``get_for_user`` (a referral of another
case, or of a case this person may not see, is a 404 like one that does not exist), calls one
service, and redirects. Whether a package may go is decided in ``referral_send``, never here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from cases.models import Case
from referrals import services
from referrals.forms import (
    OverrideDecideForm,
    OverrideRequestForm,
    RecordAnswerForm,
    ReferralEditForm,
    ReferralForm,
    ReferralSendForm,
)
from referrals.models import Channel, Referral
from referrals.package import digest, render_package
from victimsupport.access import MaySeeNotChange, get_for_user
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.concurrency import EditConflict, render_conflict, render_refused

CHANGED_SINCE = _(
    "Someone changed this referral while you had the page open. Nothing was done: it is shown "
    "below as it is now."
)


def _case(request: HttpRequest, pk: Any, *, write: bool = False) -> Case:
    return get_for_user(request.user, Case, pk, write=write)


def _referral(request: HttpRequest, case: Case, referral_id: Any, *, write: bool = False):
    queryset = Referral.objects.of_case(case).select_related(
        "partner",
        "created_by",
        "sent_by",
        "answered_by",
        "revoked_by",
        "override_decided_by",
    )
    referral = get_for_user(request.user, queryset, referral_id, write=write)
    referral.case = case  # the one already fetched (and checked): no second query
    return referral


def _history(referral: Referral) -> list[tuple[Any, Any, Any]]:
    """(when, what, who) for each state the referral has been in, oldest first, from its own
    fields (the change log holds the rest)."""
    steps: list[tuple[Any, Any, Any]] = [(referral.created_at, _("Drafted"), referral.created_by)]
    if referral.override_ground:
        steps.append(
            (
                referral.override_requested_at,
                _("Legal override asked for"),
                referral.override_requested_by,
            )
        )
    if referral.override_decided_at:
        what = _("Override approved") if referral.override_approved else _("Override refused")
        steps.append((referral.override_decided_at, what, referral.override_decided_by))
    if referral.sent_at:
        steps.append((referral.sent_at, _("Sent"), referral.sent_by))
    if referral.answered_at:
        what = (
            _("Declined")
            if referral.status == Referral.Status.DECLINED
            else _("Accepted by the partner")
        )
        steps.append((referral.answered_at, what, referral.answered_by))
    if referral.completed_at:
        steps.append((referral.completed_at, _("Completed"), referral.answered_by))
    if referral.revoked_at:
        steps.append((referral.revoked_at, _("Revoked"), referral.revoked_by))
    return steps


def _package(referral: Referral) -> str:
    """The package to show: as sent, once sent; until then, the preview, rendered by the
    same function that renders it at sending."""
    if referral.sent_at:
        # Our own rendering, stored at sending: the text in it was escaped when it was made.
        return mark_safe(referral.package)
    return render_package(referral.case, referral.categories, referral)


def render_referral_page(
    request: HttpRequest,
    case: Case,
    referral: Referral,
    *,
    status: int = 200,
    missing: list[Any] | None = None,
    decide_form: OverrideDecideForm | None = None,
    answer_form: RecordAnswerForm | None = None,
) -> HttpResponse:
    """The referral page, an audited opening of its package."""
    record_access(
        actor=request.user, obj=referral, kind=AccessKind.VIEW, detail={"case": str(case.pk)}
    )
    can_edit = bool(getattr(referral, "can_write", False))
    package_html = _package(referral)
    is_draft = referral.status == Referral.Status.DRAFT
    may_decide = can_edit and services.may_decide_override(request.user, referral)
    context = {
        "case": case,
        "referral": referral,
        "package_html": package_html,
        "history": _history(referral),
        "can_edit": can_edit and is_draft,
        "can_send": can_edit and is_draft,
        "can_ask_override": can_edit and is_draft,
        "can_revoke": can_edit and referral.status in REVOCABLE,
        "may_decide": may_decide,
        "send_form": ReferralSendForm(
            initial={"version": referral.version, "preview": digest(package_html)}
        ),
        "decide_form": decide_form or OverrideDecideForm(initial={"version": referral.version}),
        "missing": missing or [],
        # Giving the consent a refused send asks for starts from this referral's terms.
        "consent_url": f"{reverse('referrals:consent_give', args=[case.pk])}?for={referral.pk}",
        # Open, but its grounds no longer hold (consent expired, agreement ended, partner
        # no longer active): the partner cannot open it, and the page says so.
        "closed_to_partner": referral.is_open and not referral.grounds_hold(),
        # A referral waiting for the partner: staff record an answer given to them, and hand
        # the package over as a protected PDF (the way in for a partner without accounts).
        "can_record_answer": can_edit and referral.is_open,
        "answer_form": answer_form
        or RecordAnswerForm(status=referral.status, initial={"version": referral.version}),
        "can_hand_over": can_edit and referral.is_open,
        "hands_over_pdf": referral.partner.channel == Channel.PROTECTED_PDF,
    }
    return render(request, "referrals/referral.html", context, status=status)


REVOCABLE = (
    Referral.Status.DRAFT,
    Referral.Status.AWAITING_APPROVAL,
    Referral.Status.SENT,
    Referral.Status.ACCEPTED,
)


@login_required
@require_http_methods(["GET", "POST"])
def referral_new(request: HttpRequest, pk: Any) -> HttpResponse:
    case = _case(request, pk, write=True)
    form = ReferralForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            referral = services.referral_draft(case=case, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("Draft saved. Check the package below: it is what the partner sees.")
            )
            return redirect("referrals:referral", case.pk, referral.pk)
    status = 400 if form.is_bound else 200
    return render(
        request, "referrals/referral_form.html", {"case": case, "form": form}, status=status
    )


@login_required
@require_http_methods(["GET"])
def referral_detail(request: HttpRequest, pk: Any, referral_id: Any) -> HttpResponse:
    case = _case(request, pk)
    return render_referral_page(request, case, _referral(request, case, referral_id))


@login_required
@require_http_methods(["GET", "POST"])
def referral_edit(request: HttpRequest, pk: Any, referral_id: Any) -> HttpResponse:
    case = _case(request, pk, write=True)
    referral = _referral(request, case, referral_id, write=True)
    initial = {
        "partner": referral.partner_id,
        "purpose": referral.purpose,
        "urgency": referral.urgency,
        "message": referral.message,
        "categories": referral.categories,
        "version": referral.version,
    }
    form = ReferralEditForm(request.POST if request.method == "POST" else None, initial=initial)
    context = {"case": case, "referral": referral, "form": form}
    record_access(
        actor=request.user, obj=referral, kind=AccessKind.VIEW, detail={"case": str(case.pk)}
    )
    if referral.status != Referral.Status.DRAFT:
        messages.error(request, _("Only a draft can be changed. This referral is shown as it is."))
        return redirect("referrals:referral", case.pk, referral.pk)
    if request.method == "GET":
        return render(request, "referrals/referral_form.html", context)
    if not form.is_valid():
        return render_refused(
            request, "referrals/referral_form.html", context, form=form, current=referral
        )
    fields = dict(form.cleaned_data)
    version = fields.pop("version")
    try:
        services.referral_update(referral=referral, actor=request.user, version=version, **fields)
    except EditConflict as conflict:
        return render_conflict(
            request, "referrals/referral_form.html", context, form=form, conflict=conflict
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return render(request, "referrals/referral_form.html", context, status=400)
    messages.success(request, _("Draft saved. Check the package below before you send it."))
    return redirect("referrals:referral", case.pk, referral.pk)


@login_required
@require_POST
def referral_send(request: HttpRequest, pk: Any, referral_id: Any) -> HttpResponse:
    case = _case(request, pk, write=True)
    referral = _referral(request, case, referral_id, write=True)
    form = ReferralSendForm(request.POST, initial={"version": referral.version})
    if not form.is_valid():
        messages.error(request, CHANGED_SINCE)
        return render_referral_page(request, case, referral, status=400)
    try:
        services.referral_send(
            referral=referral,
            actor=request.user,
            version=form.cleaned_data["version"],
            preview=form.cleaned_data["preview"],
        )
    except services.SharingRefused as refused:
        messages.error(request, _("The referral was not sent. Nothing was shared."))
        return render_referral_page(
            request, case, referral, status=400, missing=refused.decision.missing
        )
    except EditConflict:
        messages.error(request, CHANGED_SINCE)
        referral = _referral(request, case, referral_id)
        return render_referral_page(request, case, referral, status=409)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
        return render_referral_page(request, case, referral, status=400)
    messages.success(request, _("Referral sent to %(partner)s.") % {"partner": referral.partner})
    return redirect("referrals:referral", case.pk, referral.pk)


@login_required
@require_http_methods(["GET", "POST"])
def referral_override(request: HttpRequest, pk: Any, referral_id: Any) -> HttpResponse:
    case = _case(request, pk, write=True)
    referral = _referral(request, case, referral_id, write=True)
    form = OverrideRequestForm(
        request.POST if request.method == "POST" else None,
        initial={
            "version": referral.version,
            "ground": referral.override_ground or None,
        },
    )
    context = {"case": case, "referral": referral, "form": form}
    record_access(
        actor=request.user, obj=referral, kind=AccessKind.VIEW, detail={"case": str(case.pk)}
    )
    if referral.status != Referral.Status.DRAFT:
        messages.error(request, _("Only a draft can be sent for approval."))
        return redirect("referrals:referral", case.pk, referral.pk)
    if request.method == "GET":
        return render(request, "referrals/override_form.html", context)
    if not form.is_valid():
        return render_refused(
            request, "referrals/override_form.html", context, form=form, current=referral
        )
    try:
        services.referral_override_request(
            referral=referral, actor=request.user, **form.cleaned_data
        )
    except EditConflict as conflict:
        return render_conflict(
            request, "referrals/override_form.html", context, form=form, conflict=conflict
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return render(request, "referrals/override_form.html", context, status=400)
    messages.success(
        request, _("Sent for approval. A supervisor other than you decides before it can go.")
    )
    return redirect("referrals:referral", case.pk, referral.pk)


@login_required
@require_POST
def referral_decide(request: HttpRequest, pk: Any, referral_id: Any) -> HttpResponse:
    case = _case(request, pk, write=True)
    referral = _referral(request, case, referral_id, write=True)
    if referral.status == Referral.Status.AWAITING_APPROVAL and not services.may_decide_override(
        request.user, referral
    ):
        # Asked before the form is read: whatever was posted, they may not decide this one.
        raise MaySeeNotChange(_("A supervisor other than the one who asked decides on it."))
    form = OverrideDecideForm(request.POST)
    if not form.is_valid():
        return render_referral_page(request, case, referral, status=400, decide_form=form)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.referral_override_decide(
            referral=referral,
            actor=request.user,
            approve=approve,
            version=form.cleaned_data["version"],
            note=form.cleaned_data["note"],
        )
    except EditConflict:
        referral.refresh_from_db()
        messages.error(request, CHANGED_SINCE)
        return render_referral_page(request, case, referral, status=409)
    except PermissionDenied as exc:
        # They see the referral, so "not you" is the truth to tell them: a 403 with why.
        raise MaySeeNotChange(exc.args[0] if exc.args else "") from exc
    except services.SharingRefused as refused:
        messages.error(request, _("The override was not approved and nothing was sent."))
        return render_referral_page(
            request, case, referral, status=400, missing=refused.decision.missing
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return render_referral_page(request, case, referral, status=400, decide_form=form)
    if approve:
        messages.success(request, _("Override approved: the referral has been sent."))
    else:
        messages.success(request, _("Override refused: the referral is a draft again."))
    return redirect("referrals:referral", case.pk, referral.pk)


@login_required
@require_http_methods(["GET", "POST"])
def referral_revoke(request: HttpRequest, pk: Any, referral_id: Any) -> HttpResponse:
    """Asked first, then done: the page says what revoking does, and it is one button."""
    case = _case(request, pk, write=True)
    referral = _referral(request, case, referral_id, write=True)
    if request.method == "POST" and referral.status in REVOCABLE:
        services.referral_revoke(
            referral=referral, actor=request.user, because=Referral.RevokedBecause.BY_STAFF
        )
        messages.success(request, _("Referral revoked. The partner can no longer open it."))
        return redirect("referrals:referral", case.pk, referral.pk)
    record_access(
        actor=request.user, obj=referral, kind=AccessKind.VIEW, detail={"case": str(case.pk)}
    )
    return render(
        request,
        "referrals/revoke.html",
        {"case": case, "referral": referral, "revocable": referral.status in REVOCABLE},
    )


ANSWER_RECORDED = {
    "accept": _("The partner's acceptance is recorded."),
    "decline": _("The partner's answer is recorded: they cannot take it on."),
    "complete": _("The outcome is recorded. The referral is closed."),
}


@login_required
@require_POST
def referral_answer(request: HttpRequest, pk: Any, referral_id: Any) -> HttpResponse:
    """The partner's answer, given to a member of staff (a partner without accounts)."""
    case = _case(request, pk, write=True)
    referral = _referral(request, case, referral_id, write=True)
    form = RecordAnswerForm(
        request.POST, status=referral.status, initial={"version": referral.version}
    )
    if not referral.is_open:
        messages.error(request, _("This referral is not waiting for the partner's answer."))
        return render_referral_page(request, case, referral, status=400, answer_form=form)
    answered_from = services.STAFF_ANSWERS.get(request.POST.get("answer", ""))
    if answered_from is not None and answered_from != referral.status:
        # An answer for the state the page was read in: someone answered since.
        messages.error(request, CHANGED_SINCE)
        return render_referral_page(request, case, referral, status=409)
    if not form.is_valid():
        status = 409 if form.version_lost else 400
        return render_referral_page(request, case, referral, status=status, answer_form=form)
    data = dict(form.cleaned_data)
    try:
        services.referral_record_answer(referral=referral, actor=request.user, **data)
    except EditConflict:
        messages.error(request, CHANGED_SINCE)
        referral = _referral(request, case, referral_id)
        return render_referral_page(request, case, referral, status=409)
    except PermissionDenied as exc:
        raise MaySeeNotChange(exc.args[0] if exc.args else "") from exc
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return render_referral_page(request, case, referral, status=400, answer_form=form)
    messages.success(request, ANSWER_RECORDED[data["answer"]])
    return redirect("referrals:referral", case.pk, referral.pk)
