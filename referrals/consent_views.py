"""Consents to share, from the case file: giving one, and withdrawing it as easily.

A consent's terms are never edited (there is no edit page): a change is a new consent.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from cases.forms import WithdrawForm
from cases.intake import current_notice
from cases.models import Case
from referrals import services
from referrals.forms import SharingConsentForm
from referrals.models import PartnerOrganisation, Referral, SharingConsent
from victimsupport.access import get_for_user
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.concurrency import EditConflict
from victimsupport.forms import add_service_errors

CONFLICT_MESSAGE = _(
    "Someone else withdrew this consent while you had the page open. Nothing was saved: it "
    "is shown below as it is now."
)


def _case_consents_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk]) + "#section-sharing_consents"


def _draft_referral(request: HttpRequest, case: Case) -> Referral | None:
    """The draft referral of this case named by ``?for=``, if the user may see it (through
    the one way in); anything else is as if it were not named."""
    wanted = request.GET.get("for", "")
    if not wanted:
        return None
    drafts = Referral.objects.of_case(case).filter(status=Referral.Status.DRAFT)
    try:
        return get_for_user(request.user, drafts, wanted)
    except Http404:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def consent_give(request: HttpRequest, case_pk: str) -> HttpResponse:
    case = get_for_user(request.user, Case, case_pk, write=True)
    partners = (
        PartnerOrganisation.objects.visible_to(request.user).filter(is_active=True).order_by("name")
    )
    # Come from a referral that needs this consent (its page links here with ``?for=``): the
    # form starts from its partner, purpose and parts, and saving goes back to it.
    waiting = _draft_referral(request, case)
    initial = {}
    if waiting is not None:
        initial = {
            "recipient": "partner",
            "partner": waiting.partner_id,
            "purpose": waiting.purpose,
            "categories": waiting.categories,
        }
    form = SharingConsentForm(request.POST or None, partners=partners, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.sharing_consent_give(case=case, actor=request.user, **form.terms())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Consent to share recorded."))
                if waiting is not None:
                    return redirect("referrals:referral", case.pk, waiting.pk)
                return redirect(_case_consents_url(case))
        # Nothing was saved; everything typed is still in the form.
        status = 400
    record_access(actor=request.user, obj=case, kind=AccessKind.VIEW, detail={"page": "consent"})
    return render(
        request,
        "referrals/consent_give.html",
        {"case": case, "form": form, "notice": current_notice()},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: HttpRequest, case_pk: str, pk: int) -> HttpResponse:
    """Asked first, then done in one step: the page says what stops, and withdrawing is the
    one button on it (no JavaScript needed)."""
    case = get_for_user(request.user, Case, case_pk, write=True)
    consent = get_for_user(
        request.user,
        SharingConsent.objects.of_case(case).select_related("partner", "notice", "withdrawn_by"),
        pk,
        write=True,
    )
    # Bound on every POST, an empty one too: a missing version is an error to show.
    data = request.POST if request.method == "POST" else None
    form = WithdrawForm(data, consent_id=consent.pk, initial={"version": consent.version})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                consent = services.sharing_consent_withdraw(
                    consent=consent, actor=request.user, **form.cleaned_data
                )
            except EditConflict:
                messages.error(request, CONFLICT_MESSAGE)
                consent.refresh_from_db()
                status = 409
            else:
                messages.success(
                    request, _("Consent withdrawn. Nothing more will be shared on it.")
                )
                revoked = services.revoked_with(consent)
                if revoked:
                    messages.info(
                        request,
                        ngettext(
                            "%(count)d referral made under it was revoked: the partner can no "
                            "longer see it.",
                            "%(count)d referrals made under it were revoked: the partner can no "
                            "longer see them.",
                            revoked,
                        )
                        % {"count": revoked},
                    )
                return redirect(_case_consents_url(case))
        else:
            status = 400
    record_access(actor=request.user, obj=consent, kind=AccessKind.VIEW)
    open_referrals = consent.referrals.filter(status__in=services.REVOKED_WITH_THE_CONSENT).count()
    return render(
        request,
        "referrals/consent_withdraw.html",
        {"case": case, "consent": consent, "form": form, "open_referrals": open_referrals},
        status=status,
    )
