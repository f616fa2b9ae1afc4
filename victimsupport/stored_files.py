"""Running the current upload checks again on files stored before those checks existed.

A file kept before a check was added (a PDF with a ``\\\\host\\share`` link, a photo still
carrying its GPS position) is served as it was stored until someone looks at it again. Each app
that keeps files registers them here when it is ready (``register_stored_files``); the
``recheck_files`` command walks every registered kind, one file decrypted at a time, and with
``--quarantine`` sets aside those the checks now refuse, through the owning app's own service,
so that the change is audited and the download is refused with the reason. The core knows no
app: it only calls what was registered.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from victimsupport.files import clean_upload


class Refusal(models.TextChoices):
    """Why a stored file was set aside: the code of the check that refuses it now, and what
    the caseworker is told when they try to download it."""

    EMPTY = "empty", _("the file is empty")
    TOO_BIG = "too_big", _("the file is larger than the limit")
    TYPE = "type", _("the type of file is not accepted")
    SIGNATURE = "signature", _("the file's contents do not match its type")
    ENCODING = "encoding", _("the text is not UTF-8")
    TOO_MANY_PIXELS = "too_many_pixels", _("the image has too many pixels to process")
    TOO_LARGE_TO_PROCESS = "too_large_to_process", _("the image is too large to process")
    METADATA_TOO_LARGE = "metadata_too_large", _("the image carries too much metadata")
    DAMAGED = "damaged", _("the image is damaged")
    PDF_ENCRYPTED = "pdf_encrypted", _("the PDF is protected by a password")
    PDF_UNREADABLE = "pdf_unreadable", _("the PDF cannot be read")
    PDF_TOO_COMPLEX = "pdf_too_complex", _("the PDF is too complex to check")
    PDF_ACTIVE_CONTENT = (
        "pdf_active_content",
        _("the PDF contains content that could harm the computer that opens it"),
    )
    OTHER = "other", _("the file fails the upload checks")


# What the download answers instead of the file, with the reason and the date.
QUARANTINE_MESSAGE = _(
    "This file was set aside on %(date)s and cannot be downloaded: %(reason)s. It was stored "
    "before the current safety checks existed. Ask whoever sent it for a new copy (printed to "
    "a new PDF, or scanned) and attach that."
)


def quarantine_message(quarantined_at: datetime.datetime, reason: str) -> str:
    """What the caseworker reads instead of the download: when, why, and what to do."""
    label = Refusal(reason).label if reason in Refusal.values else Refusal.OTHER.label
    return QUARANTINE_MESSAGE % {
        "date": date_format(timezone.localtime(quarantined_at), "j F Y"),
        "reason": label,
    }


@dataclass(frozen=True)
class StoredFiles:
    """One kind of stored file, as its app exposes it. ``ids`` lists the files not yet set
    aside; ``load`` returns one file's content type and decrypted bytes (None if it has gone
    or has no file); ``quarantine`` and ``replace`` are the app's audited services.
    ``clean`` (optional): what the app's own upload does beyond the core's checks, given the
    content type and the bytes the checks accept, returning the bytes it would store (a PDF
    rewritten without its metadata); where they differ from the stored ones, the file is
    reported as carrying metadata and ``replace`` is given them."""

    kind: str  # what the report calls them: "document", "certificate"
    ids: Callable[[], Iterable[int]]
    load: Callable[[int], tuple[str, bytes] | None]
    quarantine: Callable[[int, Refusal], None]
    replace: Callable[[int, bytes], None]
    clean: Callable[[str, bytes], bytes] | None = None


_REGISTRY: dict[str, StoredFiles] = {}


def register_stored_files(source: StoredFiles) -> None:
    _REGISTRY[source.kind] = source


def registered() -> list[StoredFiles]:
    return list(_REGISTRY.values())


@dataclass(frozen=True)
class Finding:
    refusal: Refusal | None  # the check refuses the file now
    cleaned: bytes | None  # what the checks would store instead (the stored one carries metadata)


def recheck(
    *, content_type: str, data: bytes, clean: Callable[[str, bytes], bytes] | None = None
) -> Finding:
    """The current checks on stored bytes: refused (with why), or a file whose stored bytes
    still carry metadata the re-encoding (or the kind's own ``clean``) would have dropped, or
    fine."""
    try:
        cleaned = clean_upload(name="stored", content_type=content_type, data=data)
        if content_type in ("image/jpeg", "image/png") and not carries_metadata(data, content_type):
            cleaned = data  # stored as the re-encoding writes it: nothing to drop
        if clean is not None:
            cleaned = clean(content_type, cleaned)
    except ValidationError as exc:
        return Finding(refusal=_refusal(exc), cleaned=None)
    return Finding(refusal=None, cleaned=None if cleaned == data else cleaned)


def _refusal(exc: ValidationError) -> Refusal:
    code = exc.code if exc.code in Refusal.values else Refusal.OTHER
    return Refusal(code)


# PNG chunks that hold pixels or how they look; every other one (tEXt, zTXt, iTXt, eXIf, iCCP,
# tIME...) is metadata the re-encoding drops.
_PNG_PIXEL_CHUNKS = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS"}


def carries_metadata(data: bytes, content_type: str) -> bool:
    """Whether an image holds anything besides its pixels, read from its structure (no
    decoding): a JPEG's APP1-APP15 and comment segments (EXIF with GPS, XMP, ICC, IPTC), or a
    PNG's text, EXIF and profile chunks. Our own re-encoding writes only JFIF (APP0)."""
    if content_type == "image/png":
        at = 8
        while at + 8 <= len(data):
            length = int.from_bytes(data[at : at + 4], "big")
            if data[at + 4 : at + 8] not in _PNG_PIXEL_CHUNKS:
                return True
            at += 12 + length
        return False
    at = 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker == 0xDA:  # start of scan: the pixels follow, no more headers
            return False
        if 0xE1 <= marker <= 0xEF or marker == 0xFE:
            return True
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return False
