"""The audit log page and its CSV export, for the roles that read the log (the auditor, and
the data-protection officer, who holds the same permission). Anyone else gets the 404 of a
page that does not exist."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from victimsupport import keyset
from victimsupport.audit import selectors
from victimsupport.audit.chain import verify_chain
from victimsupport.audit.forms import AuditFilterForm
from victimsupport.audit.models import ChainHead
from victimsupport.audit.services import AccessKind, record_access

PAGE_SIZE = 50
EXPORT_CHUNK = 500
FILENAME = "audit-log.csv"
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _query(request: HttpRequest) -> str:
    """The filters of this request, for the pager and the export link (no cursor)."""
    query = request.GET.copy()
    query.pop(keyset.CURSOR, None)
    return query.urlencode()


@login_required
@permission_required("audit.view_auditentry", raise_exception=True)
@require_http_methods(["GET", "POST"])
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    # Chained entries only: with batch sealing an entry has no place (seq) until it is
    # sealed, which follows its commit within moments; the pager walks places.
    entries = selectors.filtered(**filters).filter(seq__isnull=False)
    page = keyset.paginate(
        entries,
        ordering=("-seq",),
        cursor=request.GET.get(keyset.CURSOR),
        per_page=PAGE_SIZE,
        namespace="audit.log",
        query=_query(request),
    )
    report = verify_chain() if request.method == "POST" else None
    count, capped = selectors.entry_count(entries, filtered=bool(filters))
    context = {
        "form": form,
        "page": page,
        "entry_count": count,
        "count_capped": capped,
        "rows": selectors.rows(page.object_list),
        "report": report,
        "query": _query(request),
        "filtered": bool(filters),
    }
    return render(request, "audit/audit_log.html", context, status=400 if form.errors else 200)


def neutral(value: Any) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(entries: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(
        [
            neutral(h)
            for h in (
                _("Entry"),
                _("When"),
                _("Who"),
                _("What"),
                _("Record"),
                _("Case reference"),
                _("Fields changed"),
            )
        ]
    )
    # Newest first, a chunk at a time by seq (keyset): each chunk is its own short query, so
    # no server-side cursor is held across the response (a pooler in transaction mode, such
    # as PgBouncer, cannot keep one) and memory stays bounded either way.
    entries = entries.order_by("-seq")
    last = None
    while chunk := list((entries if last is None else entries.filter(seq__lt=last))[:EXPORT_CHUNK]):
        last = chunk[-1].seq
        # Case references are looked up a chunk at a time: memory and queries stay bounded.
        for row in selectors.rows(chunk):
            yield writer.writerow(
                [
                    neutral(cell)
                    for cell in (
                        row.entry.seq,
                        row.when,
                        row.who,
                        row.what,
                        row.record,
                        row.case,
                        ", ".join(row.fields),
                    )
                ]
            )


@login_required
@permission_required("audit.view_auditentry", raise_exception=True)
@require_GET
def audit_log_export(request: HttpRequest) -> HttpResponse:
    """The filtered log as CSV: what the page shows, every page of it. The export is itself
    an access entry, with the filters it used."""
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return redirect(f"{reverse('audit_log')}?{_query(request)}")
    with transaction.atomic():
        # The log itself is what is exported: the entry is about the chain's head.
        head, _created = ChainHead.objects.get_or_create(pk=1)
        record_access(
            actor=request.user,
            obj=head,
            kind=AccessKind.EXPORT,
            detail={"export": "audit_log", **form.audit_detail()},
        )
    response = StreamingHttpResponse(
        _csv_lines(selectors.filtered(**form.filters())), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{FILENAME}"'
    return response
