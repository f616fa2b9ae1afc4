"""Views of the evidence part: photos of the premises, escape plans (versions, approval,
readings) and drills. Every page is below its site (``sites/<site_id>/...``): the site is
fetched first through the one way in, then the record within it."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from premises.files import floor_plan_filename, photo_filename
from premises.forms.evidence import (
    DrillActionForm,
    DrillForm,
    EscapePlanEditForm,
    EscapePlanForm,
    PhotoForm,
)
from premises.models import (
    Drill,
    EscapePlan,
    PlanStatus,
    Site,
    SitePhoto,
    is_site_supervisor,
    site_staff,
)
from premises.selectors import evidence as selectors
from premises.services import evidence as services
from victimsupport.access import MaySeeNotChange, get_for_user
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.concurrency import EDIT_CONFLICT_MESSAGE, EditConflict
from victimsupport.dbrouter import replica_reads
from victimsupport.files import check_upload_size
from victimsupport.forms import add_service_errors
from victimsupport.stored_files import quarantine_message

REFUSED = _("Nothing was saved: the form below says what to change. What you typed is still there.")
FILE_AGAIN = _("Choose the file again: a browser never keeps a chosen file after a refusal.")


def _site(request: HttpRequest, site_id: int, *, write: bool = False) -> Site:
    return get_for_user(request.user, Site.objects.select_related("team"), site_id, write=write)


def _viewed(request: HttpRequest, obj: Any, **detail: Any) -> None:
    record_access(actor=request.user, obj=obj, kind=AccessKind.VIEW, detail=detail or None)


def _read_upload(upload: Any) -> bytes | None:
    """The uploaded bytes, refused by size before they are read into memory."""
    if upload is None:
        return None
    check_upload_size(upload.size)
    return upload.read()


def _refused(request: HttpRequest, form: Any, *, has_file: bool = False) -> None:
    messages.error(request, REFUSED)
    if has_file:
        messages.warning(request, FILE_AGAIN)


# --- Photos --------------------------------------------------------------------------------


@login_required
@require_GET
@replica_reads()
def photo_list(request: HttpRequest, site_id: int) -> HttpResponse:
    site = _site(request, site_id)
    _viewed(request, site, page="photos")
    return render(
        request,
        "premises/photo_list.html",
        {
            "site": site,
            "photos": selectors.photos_of(site),
            "can_remove": is_site_supervisor(request.user, site),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def photo_add(request: HttpRequest, site_id: int) -> HttpResponse:
    site = _site(request, site_id, write=True)
    _viewed(request, site, page="photo_add")
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.photo_add(
                    actor=request.user,
                    site=site,
                    data=_read_upload(form.cleaned_data["file"]) or b"",
                    caption=form.cleaned_data["caption"],
                    taken_on=form.cleaned_data["taken_on"],
                )
            except ValidationError as exc:
                if not hasattr(exc, "error_dict"):  # the size check, before reading
                    exc = ValidationError({"file": exc.messages})
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Photo added."))
                return redirect("premises:photos", site_id=site.pk)
        _refused(request, form, has_file=True)
        return render(request, "premises/photo_form.html", {"site": site, "form": form}, status=400)
    return render(request, "premises/photo_form.html", {"site": site, "form": form})


def _photo(request: HttpRequest, site: Site, photo_id: int, *, write: bool = False) -> SitePhoto:
    return get_for_user(request.user, SitePhoto.objects.of_site(site), photo_id, write=write)


def _image_response(data: bytes, content_type: str, **kwargs: Any) -> FileResponse:
    response = FileResponse(io.BytesIO(data), content_type=content_type, **kwargs)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def photo_preview(request: HttpRequest, site_id: int, photo_id: int) -> HttpResponse:
    site = _site(request, site_id)
    photo = _photo(request, site, photo_id)
    if photo.quarantined_at is not None:
        raise Http404("The photo was set aside.")
    services.photo_open(actor=request.user, photo=photo, preview=True)
    return _image_response(photo.preview, "image/jpeg")


@login_required
@require_GET
def photo_download(request: HttpRequest, site_id: int, photo_id: int) -> HttpResponse:
    site = _site(request, site_id)
    photo = _photo(request, site, photo_id)
    if photo.quarantined_at is not None:
        messages.error(request, quarantine_message(photo.quarantined_at, photo.quarantine_reason))
        return redirect("premises:photos", site_id=site.pk)
    services.photo_open(actor=request.user, photo=photo)
    return _image_response(
        photo.content, photo.content_type, as_attachment=True, filename=photo_filename(photo)
    )


@login_required
@require_http_methods(["GET", "POST"])
def photo_remove(request: HttpRequest, site_id: int, photo_id: int) -> HttpResponse:
    site = _site(request, site_id, write=True)
    photo = _photo(request, site, photo_id, write=True)
    if not is_site_supervisor(request.user, site):
        raise MaySeeNotChange(_("Only a supervisor of the site's team removes photos."))
    if request.method == "POST":
        services.photo_remove(actor=request.user, photo=photo)
        messages.success(request, _("Photo removed."))
        return redirect("premises:photos", site_id=site.pk)
    _viewed(request, photo, site=site.pk)
    return render(request, "premises/photo_remove.html", {"site": site, "photo": photo})


# --- Escape plans --------------------------------------------------------------------------


def _plan(request: HttpRequest, site: Site, plan_id: int, *, write: bool = False) -> EscapePlan:
    queryset = EscapePlan.objects.of_site(site).select_related("created_by", "approved_by")
    return get_for_user(request.user, queryset.defer("floor_plan"), plan_id, write=write)


def _approval(request: HttpRequest, site: Site, plan: EscapePlan | None) -> tuple[bool, bool]:
    """(may approve, approves alone) for the user: four eyes, or the team's sole supervisor
    (premises.review); (False, False) for anything but a draft and anyone but a supervisor."""
    if plan is None or plan.status != PlanStatus.DRAFT:
        return False, False
    if not is_site_supervisor(request.user, site):
        return False, False
    return services.approval_review(request.user, plan)


def _plan_context(request: HttpRequest, site: Site, plan: EscapePlan | None) -> dict[str, Any]:
    supervisor = is_site_supervisor(request.user, site)
    may_approve, approves_alone = _approval(request, site, plan)
    context: dict[str, Any] = {
        "plan": plan,
        "is_supervisor": supervisor,
        "can_read": False,
        "shows_details": selectors.shows_plan_details(site),
        # Four eyes: whoever wrote or changed a version does not approve it, unless the team
        # has no other supervisor (then the page says so before they do).
        "may_approve": may_approve,
        "approves_alone": approves_alone,
    }
    if plan is not None and plan.status == PlanStatus.APPROVED:
        context["share"] = selectors.read_share(plan, site, with_names=supervisor)
        staff = bool(getattr(site, "can_write", False))
        context["can_read"] = staff and not selectors.has_read(request.user, plan)
    return context


@login_required
@require_GET
def escape_plan(request: HttpRequest, site_id: int) -> HttpResponse:
    """The site's current plan in full, the draft being written and the earlier versions."""
    site = _site(request, site_id)
    _viewed(request, site, page="escape_plan")
    current = selectors.current_plan(site)
    draft = selectors.draft_plan(site)
    may_approve_draft, approves_draft_alone = _approval(request, site, draft)
    context = {
        "site": site,
        "draft": draft,
        "may_approve_draft": may_approve_draft,
        "approves_draft_alone": approves_draft_alone,
        "versions": selectors.plans_of(site).select_related("approved_by"),
        "can_write": bool(getattr(site, "can_write", False)),
        **_plan_context(request, site, current),
    }
    return render(request, "premises/escape_plan.html", context)


@login_required
@require_GET
def escape_plan_version(request: HttpRequest, site_id: int, plan_id: int) -> HttpResponse:
    site = _site(request, site_id)
    plan = _plan(request, site, plan_id)
    _viewed(request, plan, site=site.pk)
    context = {
        "site": site,
        "can_write": bool(getattr(site, "can_write", False)),
        **_plan_context(request, site, plan),
    }
    return render(request, "premises/escape_plan_version.html", context)


def _plan_form_saved(request: HttpRequest, form: EscapePlanForm, save: Any) -> EscapePlan | None:
    """The service's result, or None with its refusal on the form (an EditConflict is the
    caller's to answer)."""
    try:
        return save(
            routes=form.cleaned_data["routes"],
            assembly_point=form.cleaned_data["assembly_point"],
            roles=form.cleaned_data["roles"],
            floor_plan=_read_upload(form.cleaned_data.get("floor_plan")),
        )
    except ValidationError as exc:
        if not hasattr(exc, "error_dict") and exc.code == "too_big":
            exc = ValidationError({"floor_plan": exc.messages})
        add_service_errors(form, exc)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def escape_plan_new(request: HttpRequest, site_id: int) -> HttpResponse:
    """Write the next version, starting from the current one."""
    site = _site(request, site_id, write=True)
    draft = selectors.draft_plan(site)
    if draft is not None:
        messages.info(request, _("A draft of the next version is already being written."))
        return redirect("premises:escape_plan_edit", site_id=site.pk, plan_id=draft.pk)
    current = selectors.current_plan(site)
    _viewed(request, site, page="escape_plan_new", plan=current.pk if current else 0)
    initial = {name: getattr(current, name) for name in services.PLAN_FIELDS} if current else {}
    form = EscapePlanForm(request.POST or None, request.FILES or None, initial=initial)
    context = {"site": site, "form": form, "current": current, "plan": None}
    if request.method == "POST":
        if form.is_valid():
            plan = _plan_form_saved(
                request,
                form,
                lambda **data: services.escape_plan_write(actor=request.user, site=site, **data),
            )
            if plan is not None:
                messages.success(request, _("Draft saved. A supervisor approves it."))
                return redirect("premises:escape_plan_version", site_id=site.pk, plan_id=plan.pk)
        _refused(request, form, has_file=bool(request.FILES))
        return render(request, "premises/escape_plan_form.html", context, status=400)
    return render(request, "premises/escape_plan_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def escape_plan_edit(request: HttpRequest, site_id: int, plan_id: int) -> HttpResponse:
    site = _site(request, site_id, write=True)
    plan = _plan(request, site, plan_id, write=True)
    if plan.status != PlanStatus.DRAFT:
        raise MaySeeNotChange(_("Only a draft can be changed: write a new version instead."))
    _viewed(request, plan, site=site.pk)
    initial = {name: getattr(plan, name) for name in services.PLAN_FIELDS}
    initial["version"] = plan.revision
    form = EscapePlanEditForm(request.POST or None, request.FILES or None, initial=initial)
    context = {"site": site, "form": form, "current": None, "plan": plan}
    if request.method == "POST":
        if form.is_valid():
            revision = form.cleaned_data["version"]
            try:
                saved = _plan_form_saved(
                    request,
                    form,
                    lambda **data: services.escape_plan_update(
                        actor=request.user, plan=plan, revision=revision, **data
                    ),
                )
            except EditConflict as conflict:
                return _plan_conflict(request, form, context, conflict.current, conflict=True)
            if saved is not None:
                messages.success(request, _("Draft saved."))
                return redirect("premises:escape_plan_version", site_id=site.pk, plan_id=plan.pk)
        elif form.version_lost:
            return _plan_conflict(request, form, context, plan, conflict=False)
        _refused(request, form, has_file=bool(request.FILES))
        return render(request, "premises/escape_plan_form.html", context, status=400)
    return render(request, "premises/escape_plan_form.html", context)


def _plan_conflict(
    request: HttpRequest,
    form: EscapePlanEditForm,
    context: dict[str, Any],
    saved: EscapePlan | None,
    *,
    conflict: bool,
) -> HttpResponse:
    """The 409 of a stale (or unreadable) revision: what was typed, the draft as saved now
    beside it, the form based on the saved revision so that saving again works. As
    ``victimsupport.concurrency.render_conflict``, on the plan's ``revision``."""
    if conflict:
        form.add_error(None, EDIT_CONFLICT_MESSAGE)
        if saved is not None:
            form.rebase(saved.revision)
    rows = []
    if saved is not None:
        rows = [(form.fields[name].label, getattr(saved, name)) for name in services.PLAN_FIELDS]
    if request.FILES:
        messages.warning(request, FILE_AGAIN)
    context = {**context, "saved_now": saved, "current_rows": rows}
    return render(request, "premises/escape_plan_form.html", context, status=409)


@login_required
@require_POST
def escape_plan_approve(request: HttpRequest, site_id: int, plan_id: int) -> HttpResponse:
    site = _site(request, site_id, write=True)
    plan = _plan(request, site, plan_id, write=True)
    try:
        services.escape_plan_approve(actor=request.user, plan=plan)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Version approved: it is now the site's escape plan."))
    return redirect("premises:escape_plan", site_id=site.pk)


@login_required
@require_http_methods(["GET", "POST"])
def escape_plan_discard(request: HttpRequest, site_id: int, plan_id: int) -> HttpResponse:
    """Confirm, then discard a draft (the team's staff): it is deleted, audited by its delete
    entry, and a new version may be written."""
    site = _site(request, site_id, write=True)
    plan = _plan(request, site, plan_id, write=True)
    if plan.status != PlanStatus.DRAFT:
        raise MaySeeNotChange(
            _("Only a draft can be discarded: an approved version is kept as evidence.")
        )
    if request.method == "POST":
        try:
            services.escape_plan_discard(actor=request.user, plan=plan)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Draft discarded: a new version may be written."))
        return redirect("premises:escape_plan", site_id=site.pk)
    _viewed(request, plan, site=site.pk, page="discard")
    return render(request, "premises/escape_plan_discard.html", {"site": site, "plan": plan})


@login_required
@require_POST
def escape_plan_read(request: HttpRequest, site_id: int, plan_id: int) -> HttpResponse:
    site = _site(request, site_id, write=True)
    plan = _plan(request, site, plan_id, write=True)
    try:
        services.escape_plan_read(actor=request.user, plan=plan)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Recorded: you have read and understood this version."))
    return redirect("premises:escape_plan", site_id=site.pk)


@login_required
@require_GET
def floor_plan_download(request: HttpRequest, site_id: int, plan_id: int) -> HttpResponse:
    site = _site(request, site_id)
    queryset = EscapePlan.objects.of_site(site)
    plan = get_for_user(request.user, queryset, plan_id)
    if not selectors.shows_plan_details(site):
        raise Http404("A refuge's floor plan is shown only to its staff.")
    if not plan.floor_plan:
        raise Http404("This version has no floor plan.")
    if plan.quarantined_at is not None:
        messages.error(request, quarantine_message(plan.quarantined_at, plan.quarantine_reason))
        return redirect("premises:escape_plan_version", site_id=site.pk, plan_id=plan.pk)
    services.floor_plan_open(actor=request.user, plan=plan)
    return _image_response(
        plan.floor_plan,
        plan.floor_plan_type,
        as_attachment=True,
        filename=floor_plan_filename(plan),
    )


# --- Drills --------------------------------------------------------------------------------


@login_required
@require_GET
@replica_reads()
def drill_list(request: HttpRequest, site_id: int) -> HttpResponse:
    site = _site(request, site_id)
    _viewed(request, site, page="drills")
    return render(
        request,
        "premises/drill_list.html",
        {
            "site": site,
            "drills": selectors.drills_of(site),
            "can_write": bool(getattr(site, "can_write", False)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def drill_new(request: HttpRequest, site_id: int) -> HttpResponse:
    site = _site(request, site_id, write=True)
    _viewed(request, site, page="drill_new")
    form = DrillForm(request.POST or None, staff=site_staff(site))
    if request.method == "POST":
        if form.is_valid():
            try:
                drill = services.drill_record(actor=request.user, site=site, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Drill recorded."))
                return redirect("premises:drill", site_id=site.pk, drill_id=drill.pk)
        _refused(request, form)
        return render(request, "premises/drill_form.html", {"site": site, "form": form}, status=400)
    return render(request, "premises/drill_form.html", {"site": site, "form": form})


def _drill_page(
    request: HttpRequest, site: Site, drill: Drill, action_form: Any, status: int = 200
) -> HttpResponse:
    _viewed(request, drill, site=site.pk)
    can_write = bool(getattr(site, "can_write", False))
    context = {
        "site": site,
        "drill": drill,
        "participants": drill.participants.order_by("first_name", "last_name", "username"),
        "actions": selectors.drill_actions(drill),
        "can_write": can_write,
        "action_form": action_form if can_write else None,
    }
    return render(request, "premises/drill.html", context, status=status)


def _drill(request: HttpRequest, site: Site, drill_id: int, *, write: bool = False) -> Drill:
    queryset = Drill.objects.of_site(site).select_related("recorded_by")
    return get_for_user(request.user, queryset, drill_id, write=write)


@login_required
@require_GET
def drill_detail(request: HttpRequest, site_id: int, drill_id: int) -> HttpResponse:
    site = _site(request, site_id)
    drill = _drill(request, site, drill_id)
    return _drill_page(request, site, drill, DrillActionForm(staff=site_staff(site)))


@login_required
@require_POST
def drill_action_add(request: HttpRequest, site_id: int, drill_id: int) -> HttpResponse:
    site = _site(request, site_id, write=True)
    drill = _drill(request, site, drill_id, write=True)
    form = DrillActionForm(request.POST, staff=site_staff(site))
    if form.is_valid():
        try:
            services.drill_action_add(actor=request.user, drill=drill, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Follow-up action added."))
            return redirect("premises:drill", site_id=site.pk, drill_id=drill.pk)
    _refused(request, form)
    return _drill_page(request, site, drill, form, status=400)
