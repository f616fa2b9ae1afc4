"""Case documents: the checks every upload gets are in the core (victimsupport.files); what is
particular to a case document, its neutral download name and how ``recheck_files`` reaches
the stored ones, is here."""

from __future__ import annotations

from cases import services
from cases.models import Document
from victimsupport.files import EXTENSIONS, check_upload_size
from victimsupport.stored_files import Refusal, StoredFiles

# The views of cases and risk import these from here.
__all__ = ["EXTENSIONS", "check_upload_size", "neutral_filename"]


def neutral_filename(document_id: int, content_type: str) -> str:
    """Downloads are named by number: original names often carry the person's name, and a
    shared computer's downloads folder is read by others."""
    return f"document-{document_id}.{EXTENSIONS.get(content_type, 'bin')}"


def _document_ids() -> list[int]:
    return list(
        Document.objects.filter(quarantined_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _load_document(pk: int) -> tuple[str, bytes] | None:
    row = Document.objects.filter(pk=pk).values_list("content_type", "content").first()
    return None if row is None else (row[0], row[1])


def _quarantine_document(pk: int, reason: Refusal) -> None:
    services.document_quarantine(document=Document.objects.get(pk=pk), reason=reason)


def _reencode_document(pk: int, data: bytes) -> None:
    services.document_reencode(document=Document.objects.get(pk=pk), data=data)


# What ``manage.py recheck_files`` walks for this app (registered in CasesConfig.ready).
STORED_DOCUMENTS = StoredFiles(
    kind="document",
    ids=_document_ids,
    load=_load_document,
    quarantine=_quarantine_document,
    replace=_reencode_document,
)
