"""Requests from people: the list, logging one, and its page (the clock, the feared match and
its decision, the identity check, the extension, withdrawal or refusal).

Only the data-protection officer writes. A supervisor who sees a request (it concerns a case
of their teams, so that they can review a copy) has its page read-only: a write is a 403 that
says so. Anyone else gets the 404 of a page that does not exist. Every request named by a URL
is fetched through ``get_for_user``; each write calls one service and redirects.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dataprotection import clock, selectors
from dataprotection.forms.requests import (
    CloseForm,
    ExtensionForm,
    FearedDecisionForm,
    IdentityCheckForm,
    RequestFilterForm,
    RequestLogForm,
)
from dataprotection.models import AccessRequest, RequestStatus
from dataprotection.roles import require_dpo_page
from dataprotection.services import requests as services
from victimsupport import country, keyset
from victimsupport.access import MaySeeNotChange, Role, get_for_user, has_role
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.concurrency import EditConflict
from victimsupport.forms import add_service_errors

CHANGED_SINCE = _(
    "Someone changed this request while you had the page open. Nothing was done: it is shown "
    "below as it is now."
)


def _require_dpo(user: Any) -> None:
    require_dpo_page(user)


def _require_reader(user: Any) -> None:
    if not has_role(user, Role.DATA_PROTECTION_OFFICER, Role.SUPERVISOR):
        raise Http404("No page here.")


def _request(request: HttpRequest, pk: Any, *, write: bool = False) -> AccessRequest:
    queryset = AccessRequest.objects.select_related(
        "logged_by",
        "identity_checked_by",
        "feared_decided_by",
        "prepared_by",
        "reviewed_by",
        "closed_by",
    ).defer("authority_document", "approved_html")
    return get_for_user(request.user, queryset, pk, write=write)


def _timeline(r: AccessRequest) -> list[dict[str, Any]]:
    """When, what and who for each step the request went through, from its own fields."""
    steps: list[tuple[Any, Any, Any]] = [(r.logged_at, _("Logged"), r.logged_by)]
    if r.feared_decided_at:
        steps.append((r.feared_decided_at, r.get_feared_decision_display(), r.feared_decided_by))
    if r.identity_checked_at:
        steps.append(
            (
                r.identity_checked_at,
                _("Identity checked: %(method)s") % {"method": r.get_identity_method_display()},
                r.identity_checked_by,
            )
        )
    if r.extension_told_on:
        steps.append(
            (
                r.extension_told_on,
                _("Told of the extension (%(via)s)") % {"via": r.get_extension_told_via_display()},
                None,
            )
        )
    if r.draft_made_at:
        steps.append((r.draft_made_at, _("Draft copy made"), r.prepared_by))
    if r.reviewed_at:
        steps.append((r.reviewed_at, _("Copy signed off"), r.reviewed_by))
    if r.closed_at:
        steps.append((r.closed_at, r.get_status_display(), r.closed_by))
    return [
        {"when": when, "what": what, "who": who, "has_time": isinstance(when, datetime.datetime)}
        for when, what, who in steps
    ]


def _initial(r: AccessRequest) -> dict[str, Any]:
    return {"version": r.version}


def render_request_page(
    request: HttpRequest,
    r: AccessRequest,
    *,
    status: int = 200,
    identity_form: IdentityCheckForm | None = None,
    feared_form: FearedDecisionForm | None = None,
    extend_form: ExtensionForm | None = None,
    close_form: CloseForm | None = None,
) -> HttpResponse:
    """The request's page: an audited opening of what was asked and by whom."""
    record_access(actor=request.user, obj=r, kind=AccessKind.VIEW)
    can_write = bool(getattr(r, "can_write", False)) and r.is_open
    today = timezone.localdate()
    received = r.received_on
    days_left = clock.days_left(r.deadline, today) if r.is_open else None
    references = selectors.request_case_references(r)
    context = {
        "r": r,
        "references": references,
        "language_name": _language_name(r.language),
        "today": today,
        "days_left": days_left,
        "overdue_by": max(0, -days_left) if days_left is not None else 0,
        "timeline": _timeline(r),
        "can_write": can_write,
        "may_decide_feared": can_write and r.feared_match and not r.feared_decision,
        "may_check_identity": can_write
        and r.status == RequestStatus.RECEIVED
        and not r.blocked_by_feared_match,
        "may_extend": can_write and not r.extended_to and clock.may_extend(received, today),
        "latest_extension": clock.latest_extended_date(received),
        "identity_form": identity_form or IdentityCheckForm(prefix="identity", initial=_initial(r)),
        "feared_form": feared_form or FearedDecisionForm(prefix="feared", initial=_initial(r)),
        "extend_form": extend_form or ExtensionForm(prefix="extend", initial=_initial(r)),
        "close_form": close_form or CloseForm(prefix="close", initial=_initial(r)),
    }
    return render(request, "dataprotection/request.html", context, status=status)


def _language_name(code: str) -> str:
    """The language of the copy by its name (a code the settings or Django know), else the
    code as stored."""
    named = dict(settings.LANGUAGES)
    if code in named:
        return str(named[code])
    try:
        return str(translation.get_language_info(code)["name_local"])
    except KeyError:
        return code


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request.user)
    form = RequestFilterForm(request.GET)
    scope = form.cleaned_data.get("scope") if form.is_valid() else ""
    scope = scope if scope in selectors.REQUEST_SCOPES else "open"
    today = timezone.localdate()
    queryset = selectors.requests_list(request.user, scope=scope, today=today)
    query = request.GET.copy()
    query.pop(keyset.CURSOR, None)
    page = keyset.paginate(
        queryset,
        ordering=selectors.request_ordering(scope),
        # Closed requests all have a closing time; the key may be null all the same.
        nullable=("closed_at",),
        references=("reference",),
        cursor=request.GET.get(keyset.CURSOR),
        per_page=selectors.REQUESTS_PAGE_SIZE,
        namespace=f"dataprotection.requests:{scope}",
        query=query.urlencode(),
    )
    context = {
        "form": form,
        "scope": scope,
        "page": page,
        "rows": selectors.request_rows(page.object_list, today),
        "profile": country.current(),
        "may_log": has_role(request.user, Role.DATA_PROTECTION_OFFICER),
    }
    return render(request, "dataprotection/requests.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    _require_dpo(request.user)
    form = RequestLogForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial={"received_on": timezone.localdate()},
    )
    if form.is_valid():
        try:
            r = services.access_request_log(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if r.feared_match:
                messages.warning(
                    request,
                    _(
                        "Logged as %(reference)s. The person asking has the name of someone "
                        "the file records as feared: decide on it before anything else."
                    )
                    % {"reference": r.reference},
                )
            else:
                messages.success(
                    request,
                    _("Logged as %(reference)s. Check their identity next.")
                    % {"reference": r.reference},
                )
            return redirect("dataprotection:request", pk=r.pk)
    status = 400 if form.is_bound else 200
    return render(request, "dataprotection/request_new.html", {"form": form}, status=status)


@login_required
@require_GET
def request_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    _require_reader(request.user)
    return render_request_page(request, _request(request, pk))


def _act(
    request: HttpRequest,
    pk: Any,
    *,
    form_class: type,
    prefix: str,
    form_kwarg: str,
    call: Any,
    done: Any,
) -> HttpResponse:
    """One write on a request: bind the form, call the service, redirect; or the page again
    with the form as typed (400), or as now saved after someone else's change (409)."""
    _require_reader(request.user)
    r = _request(request, pk, write=True)
    form = form_class(request.POST, prefix=prefix, initial=_initial(r))
    if not form.is_valid():
        status = 409 if getattr(form, "version_lost", False) else 400
        return render_request_page(request, r, status=status, **{form_kwarg: form})
    data = dict(form.cleaned_data)
    try:
        message = call(r, data)
    except EditConflict:
        messages.error(request, CHANGED_SINCE)
        return render_request_page(request, _request(request, pk), status=409)
    except PermissionDenied as exc:
        raise MaySeeNotChange(exc.args[0] if exc.args else "") from exc
    except ValidationError as exc:
        add_service_errors(form, exc)
        return render_request_page(request, _request(request, pk), status=400, **{form_kwarg: form})
    messages.success(request, message or done)
    return redirect("dataprotection:request", pk=r.pk)


@login_required
@require_POST
def request_identity(request: HttpRequest, pk: Any) -> HttpResponse:
    def call(r: AccessRequest, data: dict[str, Any]) -> Any:
        services.access_request_identity_check(actor=request.user, request=r, **data)
        if r.kind == "erasure":
            return _("Identity recorded. The erasure can now be decided.")
        return _("Identity recorded. The copy can now be prepared.")

    return _act(
        request,
        pk,
        form_class=IdentityCheckForm,
        prefix="identity",
        form_kwarg="identity_form",
        call=call,
        done=_("Identity recorded."),
    )


@login_required
@require_POST
def request_feared(request: HttpRequest, pk: Any) -> HttpResponse:
    def call(r: AccessRequest, data: dict[str, Any]) -> Any:
        decided = services.access_request_feared_decide(actor=request.user, request=r, **data)
        if decided.status == RequestStatus.REFUSED:
            return _("Decision recorded: the request is refused and nothing will be prepared.")
        return _("Decision recorded: the request may go ahead. Check their identity next.")

    return _act(
        request,
        pk,
        form_class=FearedDecisionForm,
        prefix="feared",
        form_kwarg="feared_form",
        call=call,
        done=_("Decision recorded."),
    )


@login_required
@require_POST
def request_extend(request: HttpRequest, pk: Any) -> HttpResponse:
    def call(r: AccessRequest, data: dict[str, Any]) -> Any:
        services.access_request_extend(actor=request.user, request=r, **data)
        return None

    return _act(
        request,
        pk,
        form_class=ExtensionForm,
        prefix="extend",
        form_kwarg="extend_form",
        call=call,
        done=_("Extension recorded."),
    )


@login_required
@require_POST
def request_close(request: HttpRequest, pk: Any) -> HttpResponse:
    def call(r: AccessRequest, data: dict[str, Any]) -> Any:
        outcome = data.pop("outcome")
        if outcome == services.CloseOutcome.WITHDRAWN:
            services.access_request_withdraw(actor=request.user, request=r, **data)
            return _("The request is closed: withdrawn by the person.")
        services.access_request_refuse(actor=request.user, request=r, ground=outcome, **data)
        return _("The request is closed: refused. Tell the person why, and that they may complain.")

    return _act(
        request,
        pk,
        form_class=CloseForm,
        prefix="close",
        form_kwarg="close_form",
        call=call,
        done=_("The request is closed."),
    )
