"""The partner directory, the agreements and meetings of each partner, and the supervisor's
network dashboard.

Staff read the directory; supervisors and administrators keep it (the services refuse anyone
else). A partner user sees none of it: 404, as for an address that does not exist. Every page
of one partner shows its contacts (personal data) and writes an access entry.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from referrals import selectors, services
from referrals.forms import (
    AgreementForm,
    DirectoryFilterForm,
    MeetingForm,
    PartnerForm,
)
from referrals.models import (
    DIRECTORY_KEEPERS,
    DIRECTORY_READERS,
    Agreement,
    Meeting,
    PartnerOrganisation,
)
from victimsupport.access import MaySeeNotChange, Role, get_for_user, has_role, roles_of
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.dbrouter import replica_reads
from victimsupport.files import EXTENSIONS, check_upload_size
from victimsupport.forms import add_service_errors

REFUSED = _("Nothing was saved: the form below says what to change. What you typed is still there.")


def _require_reader(user: Any) -> None:
    if not roles_of(user) & DIRECTORY_READERS:
        raise Http404("No directory here.")


def _require_keeper(user: Any) -> None:
    _require_reader(user)
    if not roles_of(user) & DIRECTORY_KEEPERS:
        raise MaySeeNotChange(_("The partner directory is kept by supervisors and administrators."))


def _partner_opened(request: HttpRequest, partner: PartnerOrganisation, page: str) -> None:
    # Every page of a partner shows or edits its contacts: people's names and numbers.
    record_access(actor=request.user, obj=partner, kind=AccessKind.VIEW, detail={"page": page})


def _upload(form: Any) -> tuple[str, str, bytes] | None:
    upload = form.cleaned_data.get("signed_copy")
    if upload is None:
        return None
    check_upload_size(upload.size)  # before reading it into memory
    return (upload.name, upload.content_type, upload.read())


@login_required
@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    _require_reader(request.user)
    form = DirectoryFilterForm(request.GET or None)
    kind, active = "", None
    if form.is_valid():
        kind = form.cleaned_data["kind"]
        active = {"yes": True, "no": False}.get(form.cleaned_data["active"])
    partners = selectors.directory(request.user, kind=kind, active=active)
    return render(
        request,
        "referrals/directory.html",
        {
            "partners": partners,
            "form": form,
            "can_add": bool(roles_of(request.user) & DIRECTORY_KEEPERS),
        },
    )


@login_required
@require_GET
def partner_detail(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = get_for_user(request.user, PartnerOrganisation, partner_id)
    selectors.partner_with_figures(partner)
    agreements = (
        Agreement.objects.visible_to(request.user)
        .filter(partner=partner)
        .defer("signed_copy")  # the copies are downloaded one at a time, not loaded here
        .order_by("-valid_to", "-pk")
    )
    meetings = (
        Meeting.objects.visible_to(request.user).filter(partner=partner).order_by("-held_on", "-pk")
    )
    _partner_opened(request, partner, "detail")
    return render(
        request,
        "referrals/partner_detail.html",
        {
            "partner": partner,
            "agreements": agreements,
            "meetings": meetings,
            "can_edit": partner.can_write,
            # Their accounts are added and ended by administrators only.
            "can_manage_users": has_role(request.user, Role.ADMINISTRATOR),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def partner_add(request: HttpRequest) -> HttpResponse:
    _require_keeper(request.user)
    form = PartnerForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                partner = services.partner_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Partner added to the directory."))
                return redirect("referrals:partner", partner.pk)
        messages.error(request, REFUSED)
    return render(
        request,
        "referrals/partner_form.html",
        {"form": form, "partner": None},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def partner_edit(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = get_for_user(request.user, PartnerOrganisation, partner_id, write=True)
    initial = {name: getattr(partner, name) for name in services.PARTNER_FIELDS}
    form = PartnerForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST":
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            try:
                services.partner_update(partner=partner, actor=request.user, **changes)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Partner saved."))
                return redirect("referrals:partner", partner.pk)
        messages.error(request, REFUSED)
    _partner_opened(request, partner, "edit")
    return render(
        request,
        "referrals/partner_form.html",
        {"form": form, "partner": partner},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def agreement_add(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = get_for_user(request.user, PartnerOrganisation, partner_id, write=True)
    form = AgreementForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("signed_copy")
            try:
                services.agreement_add(
                    partner=partner, actor=request.user, signed_copy=_upload(form), **data
                )
            except ValidationError as exc:
                _file_or_field_errors(form, exc)
            else:
                messages.success(request, _("Agreement recorded."))
                return redirect("referrals:partner", partner.pk)
        messages.error(request, REFUSED)
    _partner_opened(request, partner, "agreement_add")
    return render(
        request,
        "referrals/agreement_form.html",
        {"form": form, "partner": partner, "agreement": None},
        status=400 if form.errors else 200,
    )


def _file_or_field_errors(form: Any, exc: ValidationError) -> None:
    # The service names the fields it refuses; anything else is about the file.
    if hasattr(exc, "error_dict"):
        add_service_errors(form, exc)
    else:
        form.add_error("signed_copy", exc)


@login_required
@require_http_methods(["GET", "POST"])
def agreement_edit(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = get_for_user(
        request.user,
        Agreement.objects.select_related("partner").defer("signed_copy"),
        agreement_id,
        write=True,
    )
    initial = {name: getattr(agreement, name) for name in services.AGREEMENT_TERMS}
    fixed = services.agreement_has_referrals(agreement)
    form = AgreementForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        replacing=True,
        fixed_terms=services.TERMS_FIXED_BY_REFERRALS if fixed else (),
    )
    if request.method == "POST":
        if form.is_valid():
            terms = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name in services.AGREEMENT_TERMS
            }
            try:
                services.agreement_update(
                    agreement=agreement, actor=request.user, signed_copy=_upload(form), **terms
                )
            except ValidationError as exc:
                _file_or_field_errors(form, exc)
            else:
                messages.success(request, _("Agreement saved."))
                return redirect("referrals:partner", agreement.partner_id)
        messages.error(request, REFUSED)
    record_access(actor=request.user, obj=agreement, kind=AccessKind.VIEW, detail={"page": "edit"})
    return render(
        request,
        "referrals/agreement_form.html",
        {
            "form": form,
            "partner": agreement.partner,
            "agreement": agreement,
            "fixed_by_referrals": services.FIXED_BY_REFERRALS if fixed else "",
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def agreement_copy(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = get_for_user(request.user, Agreement, agreement_id)
    if not agreement.signed_copy:
        raise Http404("No signed copy kept.")
    data = services.agreement_copy_open(agreement=agreement, actor=request.user)
    content_type = agreement.signed_copy_type or "application/octet-stream"
    response = HttpResponse(data, content_type=content_type)
    # Named by number: the original name may carry a signatory's name.
    extension = EXTENSIONS.get(agreement.signed_copy_type, "bin")
    response["Content-Disposition"] = f'attachment; filename="agreement-{agreement.pk}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def meeting_add(request: HttpRequest, partner_id: int) -> HttpResponse:
    partner = get_for_user(request.user, PartnerOrganisation, partner_id, write=True)
    form = MeetingForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.meeting_add(partner=partner, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Meeting recorded."))
                return redirect("referrals:partner", partner.pk)
        messages.error(request, REFUSED)
    _partner_opened(request, partner, "meeting_add")
    return render(
        request,
        "referrals/meeting_form.html",
        {"form": form, "partner": partner},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
@replica_reads()
def dashboard(request: HttpRequest) -> HttpResponse:
    roles = roles_of(request.user)
    if not roles & {Role.SUPERVISOR, Role.ADMINISTRATOR}:
        raise Http404("No dashboard here.")
    expiring, expired = selectors.agreements_due(request.user)
    context: dict[str, Any] = {
        "expiring": expiring,
        "expired": expired,
        "not_met": selectors.partners_not_met(request.user),
        "expiring_days": selectors.EXPIRING_DAYS,
        "is_supervisor": Role.SUPERVISOR in roles,
    }
    if Role.SUPERVISOR in roles:
        # Case-level figures are of the supervisor's teams' cases; an administrator sees no
        # case content, so no figures either.
        context["awaiting_count"], context["awaiting"] = selectors.awaiting_approval(request.user)
        context["figures"] = selectors.network_figures(request.user)
    return render(request, "referrals/dashboard.html", context)
