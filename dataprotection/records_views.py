"""The DPO's records: the record of processing activities (and its PDF), the breach register
with its 72-hour clock, and the country profile in force.

Only the data-protection officer reaches these pages: anyone else gets 404, as for a page
that does not exist. A breach's page shows what happened and which cases were told (personal
data): it writes an access entry each time it is shown.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dataprotection import selectors
from dataprotection.forms.records import (
    BreachCloseForm,
    BreachDecisionForm,
    BreachLogForm,
    BreachNotifiedForm,
    BreachToldForm,
    ProcessingActivityForm,
    RemoveForm,
)
from dataprotection.models import Breach, BreachNotice, ProcessingActivity, RecordKind
from dataprotection.roles import require_dpo_page
from dataprotection.services import records as services
from victimsupport import country
from victimsupport.access import get_for_user
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.casefile import Category
from victimsupport.concurrency import EditConflict, render_conflict, render_refused
from victimsupport.forms import add_service_errors


def _refused_message() -> str:
    return _(
        "Nothing was saved: the form below says what to change. What you typed is still there."
    )


def _require_dpo(user: Any) -> None:
    require_dpo_page(user)


# --- The record of processing activities ----------------------------------------------------


@login_required
@require_GET
def processing_list(request: HttpRequest) -> HttpResponse:
    _require_dpo(request.user)
    activities = ProcessingActivity.objects.visible_to(request.user).select_related("updated_by")
    labels = dict(Category.choices)
    rows = [
        {"activity": a, "categories": [labels.get(c, c) for c in a.data_categories]}
        for a in activities
    ]
    return render(
        request,
        "dataprotection/processing_list.html",
        {"rows": rows, "remove_form": RemoveForm()},
    )


@login_required
@require_POST
def processing_prefill(request: HttpRequest) -> HttpResponse:
    _require_dpo(request.user)
    added = services.processing_prefill(actor=request.user)
    if added:
        messages.success(
            request,
            ngettext(
                "%(n)d entry added from what the app stores. Entries already in the record "
                "were left as they are.",
                "%(n)d entries added from what the app stores. Entries already in the record "
                "were left as they are.",
                len(added),
            )
            % {"n": len(added)},
        )
    else:
        messages.info(
            request,
            _("Nothing to add: the record already has every entry the app can fill in."),
        )
    return redirect("dataprotection:processing")


@login_required
@require_http_methods(["GET", "POST"])
def processing_add(request: HttpRequest) -> HttpResponse:
    _require_dpo(request.user)
    form = ProcessingActivityForm(request.POST or None, adding=True)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.processing_activity_add(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Entry added to the record."))
                return redirect("dataprotection:processing")
        messages.error(request, _refused_message())
    return render(
        request,
        "dataprotection/processing_form.html",
        {"form": form, "activity": None},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def processing_edit(request: HttpRequest, activity_id: int) -> HttpResponse:
    _require_dpo(request.user)
    activity = get_for_user(request.user, ProcessingActivity, activity_id, write=True)
    initial = {name: getattr(activity, name) for name in services.ACTIVITY_FIELDS}
    initial["version"] = activity.version
    form = ProcessingActivityForm(request.POST or None, initial=initial)
    context = {"form": form, "activity": activity}
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                services.processing_activity_update(
                    actor=request.user, activity=activity, version=version, **data
                )
            except EditConflict as conflict:
                return render_conflict(
                    request,
                    "dataprotection/processing_form.html",
                    context,
                    form=form,
                    conflict=conflict,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Entry saved."))
                return redirect("dataprotection:processing")
        messages.error(request, _refused_message())
        return render_refused(
            request, "dataprotection/processing_form.html", context, form=form, current=activity
        )
    return render(request, "dataprotection/processing_form.html", context)


@login_required
@require_POST
def processing_remove(request: HttpRequest, activity_id: int) -> HttpResponse:
    _require_dpo(request.user)
    activity = get_for_user(request.user, ProcessingActivity, activity_id, write=True)
    form = RemoveForm(request.POST, initial={"version": activity.version})
    if form.is_valid():
        try:
            services.processing_activity_remove(
                actor=request.user, activity=activity, version=form.cleaned_data["version"]
            )
        except EditConflict:
            messages.error(
                request,
                _(
                    "Someone changed this entry since you opened the record: nothing was "
                    "removed. Look at it again first."
                ),
            )
        else:
            messages.success(request, _("Entry removed from the record."))
    else:
        messages.error(request, _("Nothing was removed: open the record again and retry."))
    return redirect("dataprotection:processing")


@login_required
@require_GET
def processing_pdf(request: HttpRequest) -> HttpResponse:
    _require_dpo(request.user)
    content = services.processing_export(actor=request.user)
    response = HttpResponse(content, content_type="application/pdf")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="record-of-processing-{day}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# --- The breach register -----------------------------------------------------------------


@login_required
@require_GET
def breach_list(request: HttpRequest) -> HttpResponse:
    _require_dpo(request.user)
    return render(
        request,
        "dataprotection/breach_list.html",
        {"rows": selectors.breach_register(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def breach_log(request: HttpRequest) -> HttpResponse:
    _require_dpo(request.user)
    form = BreachLogForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                breach = services.breach_log(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Breach logged: the clock to the regulator runs."))
                return redirect("dataprotection:breach", breach.pk)
        messages.error(request, _refused_message())
    return render(
        request,
        "dataprotection/breach_form.html",
        {"form": form, "hours": country.current().breach_hours},
        status=400 if form.errors else 200,
    )


def _breach_page(
    request: HttpRequest, breach: Breach, *, status: int = 200, **forms: Any
) -> HttpResponse:
    notices = BreachNotice.objects.filter(breach=breach).select_related("case", "told_by")
    labels = dict(Category.choices)
    decide = forms.get("decide") or BreachDecisionForm(
        initial={
            "version": breach.version,
            "decision": breach.decision or None,
            "reason": breach.decision_reason,
            "people_to_be_told": breach.people_to_be_told,
        }
    )
    notified = forms.get("notified") or BreachNotifiedForm(
        initial={
            "version": breach.version,
            "notified_at": breach.regulator_notified_at,
            "reference": breach.regulator_reference,
        }
    )
    told = forms.get("told") or BreachToldForm()
    close = forms.get("close") or BreachCloseForm(initial={"version": breach.version})
    # What happened, and which cases were told: personal data shown.
    record_access(actor=request.user, obj=breach, kind=AccessKind.VIEW)
    context = {
        "breach": breach,
        "clock": selectors.breach_clock(breach),
        "categories": [labels.get(c, c) for c in breach.data_categories],
        "notices": notices,
        "decide_form": decide,
        "notified_form": notified,
        "told_form": told,
        "close_form": close,
        "regulator": country.current().regulator,
    }
    failed = next((f for f in forms.values() if f is not None), None)
    if failed is not None and getattr(failed, "version_lost", False):
        return render_refused(
            request, "dataprotection/breach_detail.html", context, form=failed, current=breach
        )
    return render(request, "dataprotection/breach_detail.html", context, status=status)


@login_required
@require_GET
def breach_detail(request: HttpRequest, breach_id: int) -> HttpResponse:
    _require_dpo(request.user)
    breach = get_for_user(request.user, Breach, breach_id)
    return _breach_page(request, breach)


def _act(
    request: HttpRequest,
    breach_id: int,
    form_class: Any,
    name: str,
    call: Any,
    done: str,
) -> HttpResponse:
    """Bind one of the breach page's forms, call its service, and go back to the page; a
    refusal shows the page again with what was typed (400)."""
    _require_dpo(request.user)
    breach = get_for_user(request.user, Breach, breach_id, write=True)
    versioned = name != "told"
    kwargs = {"initial": {"version": breach.version}} if versioned else {}
    form = form_class(request.POST, **kwargs)
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            call(breach, data)
        except EditConflict as conflict:
            form.add_error(
                None,
                _(
                    "Someone else saved this breach since you opened it: nothing was saved. "
                    "Look at it again, then save."
                ),
            )
            if conflict.current is not None:
                form.rebase(conflict.current.version)
            return _breach_page(request, conflict.current or breach, status=409, **{name: form})
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("dataprotection:breach", breach.pk)
    messages.error(request, _refused_message())
    return _breach_page(request, breach, status=400, **{name: form})


@login_required
@require_POST
def breach_decide(request: HttpRequest, breach_id: int) -> HttpResponse:
    def call(breach: Breach, data: dict[str, Any]) -> None:
        services.breach_decide(actor=request.user, breach=breach, **data)

    return _act(request, breach_id, BreachDecisionForm, "decide", call, _("Decision recorded."))


@login_required
@require_POST
def breach_notified(request: HttpRequest, breach_id: int) -> HttpResponse:
    def call(breach: Breach, data: dict[str, Any]) -> None:
        services.breach_regulator_notified(actor=request.user, breach=breach, **data)

    return _act(
        request, breach_id, BreachNotifiedForm, "notified", call, _("Notification recorded.")
    )


@login_required
@require_POST
def breach_tell(request: HttpRequest, breach_id: int) -> HttpResponse:
    def call(breach: Breach, data: dict[str, Any]) -> None:
        services.breach_person_told(actor=request.user, breach=breach, **data)

    return _act(
        request,
        breach_id,
        BreachToldForm,
        "told",
        call,
        _("Recorded: the person was told through a channel their case records as safe."),
    )


@login_required
@require_POST
def breach_close(request: HttpRequest, breach_id: int) -> HttpResponse:
    def call(breach: Breach, data: dict[str, Any]) -> None:
        services.breach_close(actor=request.user, breach=breach, **data)

    return _act(request, breach_id, BreachCloseForm, "close", call, _("Breach closed."))


# --- The country profile ---------------------------------------------------------------------


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    _require_dpo(request.user)
    current = country.current()
    this_year = timezone.localdate().year
    years = []
    for year in (this_year, this_year + 1):
        days = sorted(d for d in current.holidays if d.year == year)
        years.append({"year": year, "holidays": days, "known": current.knows_holidays_of(year)})
    kinds = dict(RecordKind.choices)
    retention = [
        {"kind": kinds.get(kind, kind), "days": days}
        for kind, days in current.retention_days.items()
    ]
    working = [WEEKDAYS[d] for d in range(7) if d not in current.weekend]
    return render(
        request,
        "dataprotection/profile.html",
        {
            "profile": current,
            "years": years,
            "next_year_missing": not current.knows_holidays_of(this_year + 1),
            "next_year": this_year + 1,
            "weekends_only": not current.holidays,
            "working_days": working,
            "retention": retention,
            "circumstances": current.circumstances(),
        },
    )
