from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from cases import exports, history, services
from cases.access import get_case_for_user
from cases.documents import check_upload_size, neutral_filename
from cases.forms import (
    AssignForm,
    BreakGlassForm,
    CaseFilterForm,
    CloseForm,
    ConsentGiveForm,
    ContactForm,
    DocumentForm,
    NoteForm,
    ReopenForm,
    VictimForm,
    WithdrawForm,
)
from cases.models import Case, Consent, Document, Victim
from cases.selectors import case_by_reference_for_break_glass, case_file, current_break_glass
from victimsupport import keyset
from victimsupport.access import CASE_ROLES, MaySeeNotChange, Role, get_for_user, has_role
from victimsupport.accounts.models import Team, User
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.concurrency import render_conflict, render_refused
from victimsupport.crypto.fields import blind_match
from victimsupport.stored_files import quarantine_message

PAGE_SIZE = 25
CASE_LIST_ORDER = ("-opened_at", "pk")
HISTORY_PAGE_SIZE = 50
REFUSED_BELOW = _(
    "Nothing was saved: the form below says what to change. What you typed is still there."
)
CONSENT_CONFLICT_MESSAGE = _(
    "Someone else withdrew or changed this consent while you had the page open. Nothing was "
    "saved: it is shown below as it is now."
)


@login_required
@require_http_methods(["GET", "POST"])
def case_list(request: HttpRequest) -> HttpResponse:
    """Lists with filters. Searching by name, phone or email is sent by POST and answered
    directly, so the words searched for never enter an address, the browser's history or a
    server log; the filters, which name no one, stay in the address."""
    user = request.user
    if not has_role(user, *CASE_ROLES):
        # Only the roles that work on cases have case lists: a partner organisation's user,
        # above all, learns nothing here, not even that there is a search.
        raise Http404("No case list here.")
    params = request.POST if request.method == "POST" else request.GET
    scope = "team" if params.get("scope") == "team" else "mine"
    # The team ids as values, not a subquery: the planner then knows how many cases they hold
    # and reads the team's newest cases by index instead of scanning the table.
    team_ids = list(user.teams.values_list("pk", flat=True))
    cases = Case.objects.visible_to(user).select_related("team", "assigned_to", "victim")
    scoped = Q(team__in=team_ids) if scope == "team" else Q(assigned_to=user)
    cases = cases.filter(scoped)
    workers = User.objects.filter(teams__in=team_ids, is_active=True).distinct()
    data = params.copy()
    if request.method == "GET":
        data.pop("q", None)
    form = CaseFilterForm(data or None, workers=workers)
    searching = False
    if form.is_bound and not form.is_valid():
        # Never show every case as if it matched a search or filter that was not applied.
        cases = cases.none()
    elif form.is_valid():
        filters = form.cleaned_data
        if filters["status"]:
            cases = cases.filter(status=filters["status"])
        if filters["risk"]:
            cases = cases.filter(risk_level=filters["risk"])
        if filters["assigned"]:
            cases = cases.filter(assigned_to=filters["assigned"])
        if filters["review_due"]:
            cases = cases.filter(review_due__lte=timezone.localdate())
        if filters["q"]:
            searching = True
            cases = cases.filter(_search(filters["q"]))
    query = request.GET.copy()
    query.pop(keyset.CURSOR, None)
    query.pop("q", None)
    # A seek, not an offset: any page reads one page of the (team, opened) index.
    page = keyset.paginate(
        cases,
        ordering=CASE_LIST_ORDER,
        cursor=params.get(keyset.CURSOR),
        per_page=PAGE_SIZE,
        namespace="cases.list",
        query=query.urlencode(),
    )
    # A search says how many cases matched: found through the blind indexes and the
    # reference, they are a handful, counted within the scope's index.
    matched = cases.count() if searching else None
    return render(
        request,
        "cases/case_list.html",
        {
            "page": page,
            "scope": scope,
            "form": form,
            "query": query.urlencode(),
            "searching": searching,
            "matched": matched,
        },
    )


def _search(text: str) -> Q:
    """A reference, or an exact (normalised) full name, phone number or email address through
    the blind indexes: the encrypted columns themselves cannot be searched."""
    text = text.strip()
    victims = Victim.objects.filter(
        blind_match(Victim, "name_index", text)
        | blind_match(Victim, "phone_index", text)
        | blind_match(Victim, "email_index", text)
    )
    return Q(reference__iexact=text) | Q(pk__in=victims.values("case_id"))


def _detail_context(request: HttpRequest, case: Case, **forms: Any) -> dict[str, Any]:
    context = case_file(case)
    context.update(
        case=case,
        can_edit=case.can_write,
        is_supervisor=has_role(request.user, Role.SUPERVISOR),
        break_glass=None if case.can_write else current_break_glass(user=request.user, case=case),
        note_form=forms.get("note_form") or NoteForm(),
        contact_form=forms.get("contact_form") or ContactForm(),
        consent_form=forms.get("consent_form") or ConsentGiveForm(),
        document_form=forms.get("document_form") or DocumentForm(),
        close_form=forms.get("close_form") or CloseForm(),
        reopen_form=forms.get("reopen_form") or ReopenForm(),
        export_in_background=exports.is_large(len(context["timeline"])),
    )
    # A refused form of another app's section (the risk panel's trigger form) comes back in
    # place of the empty one that section gave.
    context.update((name, form) for name, form in forms.items() if form is not None)
    return context


# What the case page shows of the case's own relations, read with the case itself.
CASE_PAGE_RELATED = ("team", "assigned_to", "victim")


def render_case_page(request: HttpRequest, case: Case, status: int = 200, **forms: Any):
    """The case page, an audited opening, with any of its forms given bound (and showing
    their errors) in place of the empty ones."""
    record_access(actor=request.user, obj=case, kind=AccessKind.VIEW)
    if status == 400:
        # The refused form is far down a long page: say at the top that nothing was saved.
        messages.error(request, REFUSED_BELOW)
    return render(
        request, "cases/case_detail.html", _detail_context(request, case, **forms), status=status
    )


@login_required
def case_detail(request: HttpRequest, pk: str) -> HttpResponse:
    return render_case_page(request, get_case_for_user(request.user, pk, related=CASE_PAGE_RELATED))


@login_required
@require_POST
def note_add(request: HttpRequest, pk: str) -> HttpResponse:
    case = get_case_for_user(request.user, pk, write=True)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return render_case_page(request, case, status=400, note_form=form)
    services.note_add(case=case, actor=request.user, body=form.cleaned_data["body"])
    messages.success(request, _("Note added."))
    return redirect("cases:detail", pk=case.pk)


@login_required
@require_POST
def contact_add(request: HttpRequest, pk: str) -> HttpResponse:
    case = get_case_for_user(request.user, pk, write=True)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.contact_record(case=case, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Contact recorded."))
            return redirect("cases:detail", pk=case.pk)
    return render_case_page(request, case, status=400, contact_form=form)


@login_required
@require_POST
def consent_add(request: HttpRequest, pk: str) -> HttpResponse:
    case = get_case_for_user(request.user, pk, write=True)
    form = ConsentGiveForm(request.POST)
    if not form.is_valid():
        return render_case_page(request, case, status=400, consent_form=form)
    services.consent_give(case=case, actor=request.user, **form.cleaned_data)
    messages.success(request, _("Consent recorded."))
    return redirect("cases:detail", pk=case.pk)


@login_required
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: HttpRequest, pk: str, consent_id: int) -> HttpResponse:
    """Asked first, then done: the page says what stops being shared, and withdrawing is the
    one button on it (no JavaScript needed). Withdrawing stays one step once confirmed."""
    case = get_case_for_user(request.user, pk, write=True)
    consent = get_for_user(request.user, Consent.objects.of_case(case), consent_id, write=True)
    # Bound on every POST, an empty one too: a missing version is an error to show.
    data = request.POST if request.method == "POST" else None
    form = WithdrawForm(data, consent_id=consent.pk, initial={"version": consent.version})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.consent_withdraw(consent=consent, actor=request.user, **form.cleaned_data)
            except services.EditConflict:
                # Shown as it is now, withdrawn by the colleague, with the note this person
                # typed (not saved) beside it.
                messages.error(request, CONSENT_CONFLICT_MESSAGE)
                consent.refresh_from_db()
                status = 409
            else:
                messages.success(
                    request, _("Consent withdrawn. Nothing more will be shared on it.")
                )
                return redirect("cases:detail", pk=case.pk)
        else:
            # Not withdrawn without the note they wrote: they fix it and withdraw in one step.
            status = 400
    record_access(actor=request.user, obj=consent, kind=AccessKind.VIEW)
    return render(
        request,
        "cases/consent_withdraw.html",
        {"case": case, "consent": consent, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def victim_edit(request: HttpRequest, pk: str) -> HttpResponse:
    case = get_case_for_user(request.user, pk, write=True)
    victim = Victim.objects.filter(case=case).first()
    if victim is None:
        raise Http404("No details recorded.")
    form = VictimForm(request.POST or None, instance=victim, initial={"version": victim.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.victim_update(
                victim=victim,
                actor=request.user,
                version=form.cleaned_data["version"],
                **form.changes(),
            )
        except services.EditConflict as conflict:
            _details_opened(request, case)
            context = {"case": case, "form": form}
            return render_conflict(
                request, "cases/victim_edit.html", context, form=form, conflict=conflict
            )
        else:
            messages.success(request, _("Details saved."))
            return redirect("cases:detail", pk=case.pk)
    _details_opened(request, case)
    if request.method == "POST":
        # Read again: validating the form wrote what was typed onto ``victim``.
        current = Victim.objects.filter(case=case).first()
        return render_refused(
            request,
            "cases/victim_edit.html",
            {"case": case, "form": form},
            form=form,
            current=current,
            status=200,
        )
    return render(request, "cases/victim_edit.html", {"case": case, "form": form})


def _details_opened(request: HttpRequest, case: Case) -> None:
    # The form shows every detail, the code word included: an opening of the file like any.
    record_access(actor=request.user, obj=case, kind=AccessKind.VIEW, detail={"page": "details"})


@login_required
@require_POST
def document_add(request: HttpRequest, pk: str) -> HttpResponse:
    case = get_case_for_user(request.user, pk, write=True)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            check_upload_size(upload.size)  # before reading it into memory
            services.document_add(
                case=case,
                actor=request.user,
                name=upload.name,
                content_type=upload.content_type,
                data=upload.read(),
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            messages.success(request, _("Document attached."))
            return redirect("cases:detail", pk=case.pk)
    return render_case_page(request, case, status=400, document_form=form)


@login_required
def document_download(request: HttpRequest, pk: str, document_id: int) -> FileResponse:
    case = get_case_for_user(request.user, pk)
    document = get_for_user(request.user, Document.objects.of_case(case), document_id)
    if document.quarantined_at is not None:
        # Set aside by recheck_files: the file is not served, and the caseworker is told why.
        messages.error(
            request, quarantine_message(document.quarantined_at, document.quarantine_reason)
        )
        return redirect("cases:detail", pk=case.pk)
    services.document_open(document=document, actor=request.user)
    response = FileResponse(
        io.BytesIO(document.content),
        content_type=document.content_type,
        as_attachment=True,
        filename=neutral_filename(document.pk, document.content_type),
    )
    return response


@login_required
@require_http_methods(["GET", "POST"])
def case_assign(request: HttpRequest, pk: str) -> HttpResponse:
    case = get_case_for_user(request.user, pk, write=True)
    if not has_role(request.user, Role.SUPERVISOR):
        # Cara may see and work on the case, but its assignment is a supervisor's to change.
        raise MaySeeNotChange(_("Only supervisors assign and transfer cases."))
    teams = Team.objects.all()
    users = User.objects.filter(
        is_active=True, teams__isnull=False, groups__name__in=CASE_ROLES
    ).distinct()
    form = AssignForm(
        request.POST or None,
        teams=teams,
        users=users,
        initial={"team": case.team_id, "assigned_to": case.assigned_to_id, "version": case.version},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.case_assign(case=case, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        except services.EditConflict as conflict:
            context = {"case": case, "form": form}
            return render_conflict(
                request, "cases/assign.html", context, form=form, conflict=conflict
            )
        else:
            messages.success(request, _("Case assigned."))
            if Case.objects.visible_to(request.user).filter(pk=case.pk).exists():
                return redirect("cases:detail", pk=case.pk)
            return redirect("cases:list")
    context = {"case": case, "form": form}
    if request.method == "POST":
        return render_refused(
            request, "cases/assign.html", context, form=form, current=case, status=200
        )
    return render(request, "cases/assign.html", context)


def _status_change(request: HttpRequest, pk: str, form_class: Any, change: Any, done: str):
    case = get_case_for_user(request.user, pk, write=True)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            change(case=case, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            # The case was closed or reopened meanwhile (another tab, a colleague): the page
            # now shows the other form, so the refusal is said as a message.
            for message in exc.messages:
                messages.error(request, message)
            return redirect("cases:detail", pk=case.pk)
        else:
            messages.success(request, done)
            return redirect("cases:detail", pk=case.pk)
    key = "close_form" if form_class is CloseForm else "reopen_form"
    return render_case_page(request, case, status=400, **{key: form})


@login_required
@require_POST
def case_close(request: HttpRequest, pk: str) -> HttpResponse:
    return _status_change(request, pk, CloseForm, services.case_close, _("Case closed."))


@login_required
@require_POST
def case_reopen(request: HttpRequest, pk: str) -> HttpResponse:
    return _status_change(request, pk, ReopenForm, services.case_reopen, _("Case reopened."))


@login_required
def case_history(request: HttpRequest, pk: str) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    if not has_role(request.user, Role.SUPERVISOR):
        raise PermissionDenied(_("The history is for supervisors."))
    # Recorded first: the page is counted now but read at rendering, and an entry added in
    # between would push the oldest one off the page.
    record_access(actor=request.user, obj=case, kind=AccessKind.VIEW, detail={"page": "history"})
    # The case's rows are found from the case-file registry, so rows that hang off another
    # child (a safety plan's actions) are in it as well as those pointing at the case.
    # Chained entries only (with batch sealing, an entry has no seq for the moment between its
    # commit and its sealing): the pager walks seq.
    entries = history.entries_of(case).filter(seq__isnull=False)
    page = keyset.paginate(
        entries,
        ordering=("-seq",),
        cursor=request.GET.get(keyset.CURSOR),
        per_page=HISTORY_PAGE_SIZE,
        namespace=f"cases.history:{case.pk}",
    )
    rows = [
        {
            "entry": entry,
            "actor": history.actor_name(entry),
            "action": history.action_label(entry),
            "record": history.record_label(entry),
            "changes": history.changes(entry),
        }
        for entry in page.object_list
    ]
    return render(request, "cases/history.html", {"case": case, "page": page, "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, Role.SUPERVISOR):
        raise PermissionDenied(_("Only supervisors can use emergency access."))
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = case_by_reference_for_break_glass(form.cleaned_data["reference"])
        if case is None:
            form.add_error("reference", _("No case has this reference. Check it and try again."))
        elif Case.objects.visible_to(request.user).filter(pk=case.pk).exists():
            messages.info(request, _("You already have access to this case."))
            return redirect("cases:detail", pk=case.pk)
        else:
            try:
                access = services.break_glass_open(
                    actor=request.user, case=case, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.warning(
                    request,
                    _("Emergency access recorded. It is read-only and ends at %(time)s.")
                    % {"time": date_format(timezone.localtime(access.expires_at), "H:i")},
                )
                return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/break_glass.html", {"form": form})
