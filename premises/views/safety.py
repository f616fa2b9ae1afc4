"""The staff's pages of the safety part: a site's versions of its "Your safety here" page
(write, edit, preview, submit, publish, send back, the printable handout) and the
sensitive-terms list. The public page itself is in views/public.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from premises.forms.safety import (
    SafetyPageEditForm,
    SafetyPageForm,
    SafetyPageReturnForm,
    SensitiveTermForm,
    TermRemoveForm,
    handout_language,
)
from premises.models import (
    PageStatus,
    SafetyPage,
    SensitiveTerm,
    Site,
    SiteStatus,
    is_site_supervisor,
)
from premises.selectors import safety as selectors
from premises.services import safety as services
from victimsupport.access import CASE_ROLES, MaySeeNotChange, Role, get_for_user, roles_of
from victimsupport.audit.bulk import access_entry, seal
from victimsupport.audit.services import AccessKind, record_access
from victimsupport.concurrency import render_conflict, render_refused
from victimsupport.pdf import render_pdf

# What an auditor may read of the versions: what was published (the evidence), not drafts.
SHOWN_TO_AUDITORS = (PageStatus.PUBLISHED, PageStatus.SUPERSEDED)
HANDOUT_TITLE = _("Information")
HANDOUT_FILENAME = "information.pdf"


def _is_staff(user: Any) -> bool:
    return bool(roles_of(user) & CASE_ROLES)


def _site(request: HttpRequest, site_id: Any, *, write: bool = False) -> Site:
    return get_for_user(request.user, Site, site_id, write=write)


def _page(request: HttpRequest, site: Site, page_id: Any, *, write: bool = False) -> SafetyPage:
    pages = SafetyPage.objects.of_site(site).select_related(
        "site", "written_by", "published_by", "returned_by"
    )
    if not _is_staff(request.user):
        pages = pages.filter(status__in=SHOWN_TO_AUDITORS)
    return get_for_user(request.user, pages, page_id, write=write)


# --- Versions ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def safety_pages(request: HttpRequest, site_id: int) -> HttpResponse:
    """Every version of the site's page: status, who wrote it, who published it."""
    site = _site(request, site_id)
    versions = selectors.versions_of(site)
    staff = _is_staff(request.user)
    if not staff:
        versions = versions.filter(status__in=SHOWN_TO_AUDITORS)
    record_access(
        actor=request.user, obj=site, kind=AccessKind.VIEW, detail={"page": "safety_pages"}
    )
    context = {
        "site": site,
        "versions": list(versions),
        "staff": staff,
        "can_write": staff and site.can_write,
        "public_path": selectors.public_path(site),
        "site_open": site.status != SiteStatus.CLOSED,
    }
    return render(request, "premises/safety_pages.html", context)


def _new_context(site: Site, form: Any) -> dict[str, Any]:
    return {"site": site, "form": form, "pending": selectors.pending_of(site)}


@login_required
@require_http_methods(["GET", "POST"])
def safety_page_new(request: HttpRequest, site_id: int) -> HttpResponse:
    """A new version, filled in from the latest one."""
    site = _site(request, site_id, write=True)
    if request.method == "POST":
        form = SafetyPageForm(request.POST)
        if form.is_valid():
            try:
                page = services.safety_page_create(
                    actor=request.user, site=site, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    gettext("Version %(number)d is saved as a draft.") % {"number": page.number},
                )
                return redirect("premises:safety_page", site_id=site.pk, page_id=page.pk)
        return render(
            request, "premises/safety_page_form.html", _new_context(site, form), status=400
        )
    latest = selectors.versions_of(site).first()
    form = SafetyPageForm(initial=SafetyPageForm.initial_from(latest))
    record_access(
        actor=request.user, obj=site, kind=AccessKind.VIEW, detail={"page": "safety_page_new"}
    )
    return render(request, "premises/safety_page_form.html", _new_context(site, form))


@login_required
@require_http_methods(["GET", "POST"])
def safety_page_edit(request: HttpRequest, site_id: int, page_id: int) -> HttpResponse:
    """Change a draft (two people editing at once: the second is told, nothing lost)."""
    site = _site(request, site_id, write=True)
    page = _page(request, site, page_id, write=True)
    if page.status != PageStatus.DRAFT:
        messages.info(request, gettext("Only a draft can be changed: write a new version."))
        return redirect("premises:safety_page", site_id=site.pk, page_id=page.pk)
    initial = {**SafetyPageForm.initial_from(page), "version": page.version}
    context: dict[str, Any] = {"site": site, "page": page}
    if request.method == "POST":
        form = SafetyPageEditForm(request.POST, initial=initial)
        context["form"] = form
        if not form.is_valid():
            return render_refused(
                request, "premises/safety_page_form.html", context, form=form, current=page
            )
        try:
            services.safety_page_update(actor=request.user, page=page, **form.cleaned_data)
        except services.EditConflict as conflict:
            return render_conflict(
                request, "premises/safety_page_form.html", context, form=form, conflict=conflict
            )
        except ValidationError as error:
            form.add_error(None, error)
            return render(request, "premises/safety_page_form.html", context, status=400)
        messages.success(request, gettext("The draft is saved."))
        return redirect("premises:safety_page", site_id=site.pk, page_id=page.pk)
    context["form"] = SafetyPageEditForm(initial=initial)
    record_access(actor=request.user, obj=page, kind=AccessKind.VIEW, detail={"page": "edit"})
    return render(request, "premises/safety_page_form.html", context)


def _show_page(
    request: HttpRequest,
    site: Site,
    page: SafetyPage,
    *,
    refused: list[str] | None = None,
    return_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    """The version as the victim will see it, in both languages, with what may be done."""
    user = request.user
    staff = _is_staff(user)
    supervisor = is_site_supervisor(user, site)
    open_version = page.status in (PageStatus.DRAFT, PageStatus.SUBMITTED)
    may_publish, publishes_alone = (
        services.publish_review(page, user)
        if supervisor and page.status == PageStatus.SUBMITTED
        else (False, False)
    )
    found = services.page_matches(page, site) if staff and open_version else []
    record_access(actor=user, obj=page, kind=AccessKind.VIEW, detail={"page": "preview"})
    context = {
        "site": site,
        "page": page,
        "staff": staff,
        "found": [services.describe(where, match) for where, match in found],
        "refused": refused or [],
        "can_edit": staff and page.can_write and page.status == PageStatus.DRAFT,
        "can_submit": staff and page.can_write and page.status == PageStatus.DRAFT,
        "can_review": supervisor and page.status == PageStatus.SUBMITTED,
        "wrote_it": services.wrote_or_changed(page, user),
        # Four eyes, or the team's sole supervisor (premises.review): the page says which.
        "may_publish": may_publish,
        "publishes_alone": publishes_alone,
        "can_withdraw": staff and page.can_write and open_version,
        "return_form": return_form or SafetyPageReturnForm(),
        "is_published": page.status == PageStatus.PUBLISHED,
        "public_path": selectors.public_path(site),
        "languages": [
            ("en-gb", page.title_en, page.body_en),
            ("fr", page.title_fr, page.body_fr),
        ],
    }
    return render(request, "premises/safety_page.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def safety_page(request: HttpRequest, site_id: int, page_id: int) -> HttpResponse:
    site = _site(request, site_id)
    return _show_page(request, site, _page(request, site, page_id))


@login_required
@require_POST
def safety_page_submit(request: HttpRequest, site_id: int, page_id: int) -> HttpResponse:
    """Send a draft for review; refused, with each match, while the check finds anything."""
    site = _site(request, site_id, write=True)
    page = _page(request, site, page_id, write=True)
    try:
        services.safety_page_submit(actor=request.user, page=page)
    except services.SensitiveTextFound as found:
        return _show_page(request, site, page, refused=found.messages, status=400)
    except ValidationError as error:
        return _show_page(request, site, page, refused=error.messages, status=400)
    messages.success(request, gettext("Sent for review: a supervisor of the team publishes it."))
    return redirect("premises:safety_page", site_id=site.pk, page_id=page.pk)


@login_required
@require_POST
def safety_page_publish(request: HttpRequest, site_id: int, page_id: int) -> HttpResponse:
    """Publish (a supervisor of the team who did not write it; the check runs again)."""
    site = _site(request, site_id, write=True)
    page = _page(request, site, page_id, write=True)
    try:
        services.safety_page_publish(actor=request.user, page=page)
    except services.SensitiveTextFound as found:
        return _show_page(request, site, page, refused=found.messages, status=400)
    except ValidationError as error:
        return _show_page(request, site, page, refused=error.messages, status=400)
    messages.success(request, gettext("Published: the public page now shows this version."))
    return redirect("premises:safety_page", site_id=site.pk, page_id=page.pk)


@login_required
@require_POST
def safety_page_return(request: HttpRequest, site_id: int, page_id: int) -> HttpResponse:
    """Send a version waiting for review back to draft, with the reason."""
    site = _site(request, site_id, write=True)
    page = _page(request, site, page_id, write=True)
    form = SafetyPageReturnForm(request.POST)
    if not form.is_valid():
        return _show_page(request, site, page, return_form=form, status=400)
    try:
        services.safety_page_return(
            actor=request.user, page=page, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        return _show_page(request, site, page, refused=error.messages, status=400)
    messages.success(request, gettext("Sent back to its writer as a draft, with your reason."))
    return redirect("premises:safety_page", site_id=site.pk, page_id=page.pk)


@login_required
@require_http_methods(["GET", "POST"])
def safety_page_withdraw(request: HttpRequest, site_id: int, page_id: int) -> HttpResponse:
    """Confirm, then withdraw a version never published (the team's staff): it is deleted,
    audited by its delete entry, and a new version may be written."""
    site = _site(request, site_id, write=True)
    page = _page(request, site, page_id, write=True)
    if page.status not in (PageStatus.DRAFT, PageStatus.SUBMITTED):
        raise MaySeeNotChange(
            _("Only a version not yet published can be withdrawn: it is kept as evidence.")
        )
    if request.method == "POST":
        try:
            services.safety_page_withdraw(actor=request.user, page=page)
        except ValidationError as error:
            return _show_page(request, site, page, refused=error.messages, status=400)
        messages.success(
            request,
            gettext("Version %(number)d is withdrawn: a new version may be written.")
            % {"number": page.number},
        )
        return redirect("premises:safety_pages", site_id=site.pk)
    record_access(actor=request.user, obj=page, kind=AccessKind.VIEW, detail={"page": "withdraw"})
    return render(request, "premises/safety_page_withdraw.html", {"site": site, "page": page})


@login_required
@require_http_methods(["GET"])
def safety_handout(request: HttpRequest, site_id: int) -> HttpResponse:
    """The published version as a printable PDF, in the language asked for: for staff to
    hand out. A neutral title and file name; recorded as an export."""
    if not _is_staff(request.user):
        raise Http404
    site = _site(request, site_id)
    page = selectors.published_of(site)
    if page is None:
        raise Http404(_("This site has no published safety page."))
    language = handout_language(request.GET.get("language"), translation.get_language())
    with translation.override(language):
        pdf = render_pdf(
            "premises/safety_handout.html",
            {
                "title": page.title_in(language),
                "body": page.body_in(language),
                "printed_at": timezone.now(),
            },
            title=str(HANDOUT_TITLE),
        )
    record_access(
        actor=request.user,
        obj=page,
        kind=AccessKind.EXPORT,
        detail={"document": "safety_handout", "language": language},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{HANDOUT_FILENAME}"'
    return response


# --- Sensitive terms ---------------------------------------------------------------------


def _record_terms_read(user: Any, terms: list[SensitiveTerm]) -> None:
    """The list is a map to the way in: one VIEW entry on each site whose terms it shows,
    sealed together (the organisation's own terms belong to no site)."""
    now = timezone.now()
    sites = {term.site_id: term.site for term in terms if term.site_id is not None}
    entries = []
    for site in sites.values():
        entry = access_entry(site, actor=user, kind=str(AccessKind.VIEW), at=now)
        entry.additional_data = {**entry.additional_data, "page": "sensitive_terms"}
        entries.append(entry)
    seal(entries)


def _terms_context(request: HttpRequest, form: Any) -> dict[str, Any]:
    supervisor = Role.SUPERVISOR in roles_of(request.user)
    terms = list(selectors.terms_for(request.user))
    _record_terms_read(request.user, terms)
    return {
        "terms": terms,
        "form": form if supervisor else None,
        "supervisor": supervisor,
    }


@login_required
@require_http_methods(["GET", "POST"])
def sensitive_terms(request: HttpRequest) -> HttpResponse:
    """The organisation's terms and the user's teams' sites' terms; supervisors add here."""
    if not _is_staff(request.user):
        raise Http404
    sites = selectors.term_sites_for(request.user)
    if request.method == "POST":
        form = SensitiveTermForm(request.POST, sites=sites)
        if form.is_valid():
            try:
                services.sensitive_term_add(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, gettext("The term is added to the list."))
                return redirect("premises:sensitive_terms")
        return render(
            request, "premises/sensitive_terms.html", _terms_context(request, form), status=400
        )
    form = SensitiveTermForm(sites=sites)
    return render(request, "premises/sensitive_terms.html", _terms_context(request, form))


@login_required
@require_http_methods(["GET", "POST"])
def sensitive_term_remove(request: HttpRequest, term_id: int) -> HttpResponse:
    """Confirm, then remove a term (a supervisor of its site's team)."""
    term = get_for_user(
        request.user, SensitiveTerm.objects.select_related("site"), term_id, write=True
    )
    if request.method == "POST":
        form = TermRemoveForm(request.POST)
        if form.is_valid():
            services.sensitive_term_remove(actor=request.user, term=term)
            messages.success(request, gettext("The term is removed from the list."))
            return redirect("premises:sensitive_terms")
    record_access(actor=request.user, obj=term, kind=AccessKind.VIEW, detail={"page": "remove"})
    return render(
        request, "premises/sensitive_term_remove.html", {"term": term, "form": TermRemoveForm()}
    )
