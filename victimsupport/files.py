"""Checking uploaded files before they are kept: type, size, pixel budget, harmful PDF content,
and re-encoding images so that nothing they say about where and when they were taken survives.

Every app that takes a file (case documents, training certificates, premises photos and floor
plans) calls ``clean_upload`` (or ``clean_by_content``, which reads the kind of file from its
bytes) and stores what it returns; nothing here knows which app asked. ``make_preview`` gives
the small copy a list of photos shows.

Memory: an upload is at most DOCUMENT_MAX_BYTES, but an image's cost is its pixel count, not its
file size (a 225 KB PNG can declare 7,700 x 7,700 pixels). So the dimensions are read from the
header and checked against a pixel budget before a single pixel is decoded, and the image is
decoded once, into one buffer, and re-encoded from it without further full-size copies.

Large phone photos (48 to 200 megapixel sensor modes) are baseline JPEGs: libjpeg can decode them
at 1/2, 1/4 or 1/8 scale directly (Pillow's ``draft``), so they are accepted and stored at a
reduced size within the same memory bound. Progressive JPEGs are not reduced: libjpeg keeps every
coefficient of a progressive file in memory whatever the output scale, so they, and PNGs, are
refused above the budget with a message saying what to do.

PDFs are not cleaned of active content but refused when they carry JavaScript, actions that
start programs or send data, embedded files, or interactive forms/media: rewriting a PDF so
that no such object survives (in object streams, incremental updates, names spelled with
#-escapes) is much harder to get right than refusing, and "print it to a new PDF, or scan it"
gives the caseworker a clean copy in a minute. An encrypted PDF that cannot be opened without
a password, or one that cannot be parsed, cannot be checked, so it is refused too.

What a PDF says about itself (its title, author and dates, its XMP packets) is removed only
where asked (``strip_pdf_metadata``: a refuge's floor plan may be titled with its address);
a case document is evidence, kept as it was received.
"""

from __future__ import annotations

import io
import struct
import time
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, ImageOps, JpegImagePlugin, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    TextStringObject,
)

# What may be attached, by content type, with the file's own signature checked.
ALLOWED_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "text/plain": (),
}
EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "text/plain": "txt",
}

# The most pixels decoded for one image. 16 MP holds an ordinary phone photo (12 MP, 4032 x 3024;
# 16 MP Android cameras) and an A4 page scanned at 300 dpi (8.7 MP). Decoded, it is 64 MB (Pillow
# keeps 4 bytes a pixel for RGB too); measured peaks per upload: 62 MB for a 16 MP PNG or JPEG,
# 107 MB progressive (libjpeg's coefficients), 123 MB when a photo must be turned upright, 13 MB
# for a 50 MP photo decoded at half scale (tests/core/test_uploads.py measures them).
MAX_DECODED_PIXELS = 16_000_000
# A baseline JPEG up to this many pixels is decoded at reduced scale to fit MAX_DECODED_PIXELS:
# 200 MP sensor modes (16,320 x 12,240) are decoded at 1/4 scale, 48-50 MP modes at 1/2.
MAX_REDUCIBLE_JPEG_PIXELS = 200_000_000
JPEG_SCALES = (1, 2, 4, 8)

# Pillow's own guard for everything else in the process (PDF rendering, any other Image.open):
# it refuses images of more than twice MAX_IMAGE_PIXELS, so this makes its refusal start exactly
# at our budget. Set when the core app is ready (victimsupport.apps), so it holds process-wide.
PILLOW_MAX_IMAGE_PIXELS = MAX_DECODED_PIXELS // 2

# Bounds on checking a PDF (dictionaries and arrays walked, and seconds): a crafted file can hold
# millions of tiny objects or reference cycles. pypdf parses about 5,000 objects a second: a
# 360-page text PDF with 25,000 objects (1.1 MB) is checked in 5 s, a scan in a fraction of one.
MAX_PDF_OBJECTS = 200_000
MAX_PDF_CHECK_SECONDS = 20.0

_TRY_AGAIN_PDF = _(
    "Print it to a new PDF (Print, then Save as PDF) or scan it, and attach that copy."
)


def configure_pillow() -> None:
    Image.MAX_IMAGE_PIXELS = PILLOW_MAX_IMAGE_PIXELS
    # Pillow warns from MAX_IMAGE_PIXELS, half the budget: below the budget that says nothing.
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    # A truncated image is refused as damaged rather than half-decoded.
    ImageFile.LOAD_TRUNCATED_IMAGES = False


def check_upload_size(size: int) -> None:
    limit = settings.DOCUMENT_MAX_BYTES
    if size > limit:
        raise ValidationError(
            _("The file is %(size)s KB; the limit is %(limit)s KB."),
            code="too_big",
            params={"size": size // 1024, "limit": limit // 1024},
        )


def check_upload(*, name: str, content_type: str, data: bytes) -> None:
    """Type, size and signature; the content checks are in ``clean_upload``."""
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    check_upload_size(len(data))
    if content_type not in ALLOWED_TYPES:
        raise ValidationError(
            _("Only PDF, JPEG, PNG and plain-text files can be attached."), code="type"
        )
    signatures = ALLOWED_TYPES[content_type]
    if signatures and not data.startswith(signatures):
        raise ValidationError(_("The file's contents do not match its type."), code="signature")
    if content_type == "text/plain":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(
                _("Plain-text files must be UTF-8 text."), code="encoding"
            ) from exc


def clean_upload(*, name: str, content_type: str, data: bytes) -> bytes:
    """Check an upload and return the bytes to store: images re-encoded without metadata, PDFs
    checked for harmful content (and kept as they are), text as it is. Raises ValidationError
    with a message that says what to do."""
    check_upload(name=name, content_type=content_type, data=data)
    if content_type == "application/pdf":
        check_pdf(data)
        return data
    if content_type in ("image/jpeg", "image/png"):
        return reencode_image(data, content_type)
    return data


# Files whose kind is read from their bytes ------------------------------------------------

IMAGE_TYPES = ("image/jpeg", "image/png")
# A preview is at most this many pixels on its longer side: small enough to list a dozen on
# a phone, large enough to recognise a room.
PREVIEW_SIDE = 480


@dataclass(frozen=True)
class CleanFile:
    """What to store of an upload whose kind was read from its bytes: the content type, the
    cleaned bytes, and for an image its size in pixels."""

    content_type: str
    data: bytes
    width: int = 0
    height: int = 0


def sniff_type(data: bytes) -> str | None:
    """The content type the bytes themselves say (by their signature), never the name or
    the type header the browser sent: a photo renamed .pdf is a photo."""
    for content_type, signatures in ALLOWED_TYPES.items():
        if signatures and data.startswith(signatures):
            return content_type
    return None


def clean_by_content(
    *,
    data: bytes,
    allowed: tuple[str, ...] = IMAGE_TYPES,
    refusal: Any = None,
    strip_pdf_metadata: bool = False,
) -> CleanFile:
    """Check an upload whose kind is read from its bytes, and return what to store: images
    re-encoded from their pixels (no EXIF, GPS, XMP or thumbnail survives), PDFs checked.
    ``refusal`` is the message for a file of another kind (it says what may be attached).
    ``strip_pdf_metadata``: a PDF is also rewritten without its metadata (``strip_pdf_metadata``
    below), for files that must say nothing about where they come from (a refuge's floor
    plan); off by default, so that a document kept as evidence is kept as it was received."""
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    check_upload_size(len(data))
    content_type = sniff_type(data)
    if content_type not in allowed:
        raise ValidationError(
            refusal or _("Only JPEG and PNG photos can be attached here."), code="type"
        )
    cleaned = clean_upload(name="upload", content_type=content_type, data=data)
    if content_type in IMAGE_TYPES:
        width, height = image_size(cleaned, content_type)
        return CleanFile(content_type, cleaned, width, height)
    if content_type == "application/pdf" and strip_pdf_metadata:
        cleaned = _strip_pdf_metadata(cleaned)
    return CleanFile(content_type, cleaned)


def image_size(data: bytes, content_type: str) -> tuple[int, int]:
    """Width and height from the header of an image this module stored (nothing decoded)."""
    with _open_header(data, content_type) as image:
        return image.size


def make_preview(data: bytes, content_type: str, *, side: int = PREVIEW_SIDE) -> bytes:
    """A small JPEG of an image this module stored (already cleaned and within the pixel
    budget): at most ``side`` pixels on its longer side, written with no metadata."""
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    with _open_header(data, content_type) as image:
        if content_type == "image/jpeg":
            image.draft("RGB", (side, side))  # decode at reduced scale where it can
        image.load()
        preview = image.convert("RGB") if image.mode != "RGB" else image.copy()
    preview.thumbnail((side, side))
    preview.info = {}
    out = io.BytesIO()
    preview.save(out, format="JPEG", quality=80, exif=b"", comment=b"", icc_profile=None)
    return out.getvalue()


# Images ------------------------------------------------------------------------------------


def _megapixels(pixels: int) -> int:
    return max(1, round(pixels / 1_000_000))


def _too_many_pixels(width: int, height: int, limit: int) -> ValidationError:
    return ValidationError(
        _(
            "The image is too large to process: %(width)s × %(height)s pixels "  # noqa: RUF001
            "(%(megapixels)s megapixels); the most this service can process is %(limit)s "
            "megapixels. Save a smaller copy and attach it again."
        ),
        code="too_many_pixels",
        params={
            "width": width,
            "height": height,
            "megapixels": _megapixels(width * height),
            "limit": _megapixels(limit),
        },
    )


def _metadata_too_large() -> ValidationError:
    return ValidationError(
        _(
            "The image is too large to process: it carries more embedded text (metadata) than "
            "this service can read. Save a copy without metadata (export it again, or take a "
            "screenshot of it) and attach that."
        ),
        code="metadata_too_large",
    )


def _open_header(data: bytes, content_type: str) -> ImageFile.ImageFile:
    """Read the header only: the format's own reader, not Image.open, so that Pillow's global
    pixel guard does not stop a large baseline JPEG that is then decoded at reduced scale. The
    signature was checked already, so no other format's reader is ever tried."""
    fp = io.BytesIO(data)
    if content_type == "image/jpeg":
        return JpegImagePlugin.JpegImageFile(fp)
    return PngImagePlugin.PngImageFile(fp)


def _fit_to_budget(image: ImageFile.ImageFile, content_type: str) -> None:
    """Refuse an image over the pixel budget, or set a baseline JPEG to decode at reduced scale.
    Nothing has been decoded yet."""
    width, height = image.size
    pixels = width * height
    if pixels <= MAX_DECODED_PIXELS:
        return
    reducible = content_type == "image/jpeg" and not image.info.get("progressive")
    if not reducible:
        raise _too_many_pixels(width, height, MAX_DECODED_PIXELS)
    if pixels > MAX_REDUCIBLE_JPEG_PIXELS:
        raise _too_many_pixels(width, height, MAX_REDUCIBLE_JPEG_PIXELS)
    for scale in JPEG_SCALES:
        reduced = -(-width // scale) * -(-height // scale)
        if reduced <= MAX_DECODED_PIXELS:
            image.draft(None, (width // scale, height // scale))
            break
    if image.size[0] * image.size[1] > MAX_DECODED_PIXELS:  # draft declined (unusual file)
        raise _too_many_pixels(width, height, MAX_DECODED_PIXELS)


def reencode_image(data: bytes, content_type: str) -> bytes:
    """Decode the pixels once and encode them again with no metadata at all: EXIF (with GPS
    position and the embedded thumbnail), XMP, ICC profile, comments, PNG text chunks.

    Phone photos record where they were taken; a refuge's address must not travel in a file.
    """
    # WeasyPrint sets this to True when it is first imported (the first PDF export in a
    # process): a truncated image would then be half-decoded and a PNG text bomb silently
    # dropped. Our PDFs embed no images, so the process keeps Pillow strict.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with _open_header(data, content_type) as image:
            _fit_to_budget(image, content_type)
            image.load()
            # Apply the orientation the EXIF data asked for before dropping it (a second buffer
            # exists only for the moment of turning, and only for a turned photo).
            ImageOps.exif_transpose(image, in_place=True)
            transparency = image.info.get("transparency")
            # Whatever the decoder read (exif, xmp, icc_profile, comment, text chunks) lives in
            # info, and the encoders fall back on info for some of it: empty it, and pass empty
            # values explicitly, so that only the pixels are written.
            image.info = {}
            return _encode(image, content_type, transparency)
    except ValidationError:
        raise
    except Image.DecompressionBombError as exc:
        raise ValidationError(
            _(
                "The image is too large to process. Save a smaller copy (fewer pixels) and "
                "attach it again."
            ),
            code="too_large_to_process",
        ) from exc
    except ValueError as exc:
        # Pillow's own bounds on PNG text chunks (MAX_TEXT_CHUNK, MAX_TEXT_MEMORY) say so.
        if "MAX_TEXT" in str(exc):
            raise _metadata_too_large() from exc
        raise _unreadable_image() from exc
    except (OSError, SyntaxError, EOFError, struct.error, zlib.error, LookupError) as exc:
        raise _unreadable_image() from exc


def _unreadable_image() -> ValidationError:
    return ValidationError(
        _(
            "The image could not be read: the file seems damaged or is not really a JPEG or PNG "
            "image. Open it on your device, save or export it again, and attach the new copy."
        ),
        code="damaged",
    )


def _encode(image: Image.Image, content_type: str, transparency: Any) -> bytes:
    out = io.BytesIO()
    if content_type == "image/jpeg":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=90, exif=b"", comment=b"", icc_profile=None)
    else:
        options: dict[str, Any] = {}
        if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
            image = image.convert("RGBA")
        elif transparency is not None:
            options["transparency"] = transparency  # how the pixels look, not metadata
        image.save(out, format="PNG", icc_profile=None, **options)
    return out.getvalue()


# PDFs --------------------------------------------------------------------------------------

# Names that mean a PDF can run code, start a program, send or fetch data, or carry a file,
# wherever they appear (as a key: /JS, /EmbeddedFiles, /EF, /XFA; as a value: an action's /S,
# an annotation's /Subtype, a stream's /Type). What each one is, in words the caseworker knows.
# Internal navigation (/GoTo, /Named, /Hide, /SetOCGState, /Trans) stays allowed: it moves
# around or shows and hides parts of this document and reaches nothing outside it.
PDF_FORBIDDEN_NAMES = {
    "/JS": _("JavaScript"),
    "/JavaScript": _("JavaScript"),
    "/Launch": _("an action that starts a program"),
    "/EmbeddedFiles": _("an embedded file"),
    "/EmbeddedFile": _("an embedded file"),
    "/EF": _("an embedded file"),
    "/FileAttachment": _("an attached file"),
    "/RichMedia": _("embedded media"),
    "/RichMediaExecute": _("embedded media"),
    "/SubmitForm": _("a form that sends data"),
    "/ImportData": _("a form that imports data"),
    "/GoToE": _("a link into an embedded file"),
    "/XFA": _("an XFA form"),
    # Opens another file: on Windows a \\host\share path makes the computer send its
    # sign-in hash to that host, and a local path opens whatever is there.
    "/GoToR": _("a link that opens another file"),
    # A file specification on a URL file system: fetches a remote file when followed.
    "/URL": _("a link that opens another file"),
    # Media actions and annotations hand a file (embedded, or on a path or URL) to a player,
    # and renditions may carry JavaScript of their own: media players are a long-standing way
    # in, and none of the documents a service receives needs them.
    "/Rendition": _("embedded media"),
    "/Sound": _("embedded media"),
    "/Movie": _("embedded media"),
    "/Screen": _("embedded media"),
    # 3D artwork carries a scripting language of its own (3D JavaScript).
    "/3D": _("embedded media"),
    "/GoTo3DView": _("embedded media"),
}
# Problems found by looking at values rather than names alone.
_PDF_OTHER_PROBLEMS = {
    "link": _("a link that opens something other than a web page or an e-mail address"),
    "thread": _("a link that opens another file"),
}
# The only link schemes kept: web pages, e-mail and telephone numbers. Everything else
# (file:, smb:, javascript:, ms-msdt: and the other program launchers Windows registers, and
# relative links, which a reader resolves against the file's own folder) is refused.
PDF_LINK_SCHEMES = ("http", "https", "mailto", "tel")


def _pdf_refusal(problem: Any, code: str) -> ValidationError:
    return ValidationError(
        "%(problem)s %(todo)s", code=code, params={"problem": problem, "todo": _TRY_AGAIN_PDF}
    )


def check_pdf(data: bytes) -> None:
    """Refuse a PDF that carries active or embedded content, or that cannot be checked."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            # A PDF restricted only by an owner password opens with the empty one and is checked.
            raise ValidationError(
                _(
                    "This PDF is protected by a password, so it cannot be checked for harmful "
                    "content. Open it with its password and print it to a new PDF without one "
                    "(Print, then Save as PDF), or scan it, and attach that copy."
                ),
                code="pdf_encrypted",
            )
        found = _find_forbidden(reader)
    except ValidationError:
        raise
    except Exception as exc:  # pypdf raises many kinds on a crafted file: fail closed
        raise _pdf_refusal(
            _("This PDF could not be read, so it cannot be checked for harmful content."),
            "pdf_unreadable",
        ) from exc
    if found is not None:
        raise _pdf_refusal(
            _(
                "This PDF contains %(what)s, which could harm the computer that opens it, so it "
                "cannot be attached."
            )
            % {"what": {**PDF_FORBIDDEN_NAMES, **_PDF_OTHER_PROBLEMS}[found]},
            "pdf_active_content",
        )


# Where a PDF keeps what it says about itself: the XMP packet (of the document, a page, an
# image or any other stream: /Metadata) and an application's private data (/PieceInfo, with
# its /LastModified). The document information dictionary (/Info: Title, Author, Subject,
# Keywords, Creator, Producer, dates) hangs from the trailer.
PDF_METADATA_KEYS = ("/Metadata", "/PieceInfo")
# What else a PDF says in words beside its pages: the outline (bookmark titles), the page
# labels, the name tree (named destinations and the rest) and the old-style /Dests, and the
# interactive form (its fields' names and values); on each page, its annotations (a note's
# /T author and /Contents, a link's target). A floor plan needs none of them.
PDF_CATALOG_TEXT_KEYS = ("/Outlines", "/PageLabels", "/Names", "/Dests", "/AcroForm")
PDF_PAGE_TEXT_KEYS = ("/Annots",)


def strip_pdf_metadata(data: bytes) -> bytes:
    """The PDF rewritten without its document information dictionary and without any XMP
    (/Metadata) or application data (/PieceInfo), wherever they hang: the catalog, the pages,
    their images and forms; without its outline, page labels, name tree, interactive form and
    the pages' annotations (bookmark titles, notes and links can name a street). What the pages
    draw is kept as it is (content, resources); only
    objects still reachable are written, so an earlier revision's metadata left behind by an
    incremental update does not survive either. Call it on a PDF ``check_pdf`` accepted.
    Raises ValidationError (code ``pdf_unreadable``) if the file cannot be rewritten."""
    return _strip_pdf_metadata(data)


def _strip_pdf_metadata(data: bytes) -> bytes:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        writer = PdfWriter(clone_from=reader)
        writer._info = None  # no /Info in the trailer (not even pypdf's /Producer)
        root = writer.root_object
        for key in PDF_CATALOG_TEXT_KEYS:
            if key in root:
                del root[NameObject(key)]
        for page in writer.pages:
            for key in PDF_PAGE_TEXT_KEYS:
                if key in page:
                    del page[NameObject(key)]
        deadline = time.monotonic() + MAX_PDF_CHECK_SECONDS
        seen: set[int] = set()
        pending: list[Any] = [writer.root_object.indirect_reference]
        visited = 0
        while pending:
            item = pending.pop()
            if isinstance(item, IndirectObject):
                if item.idnum in seen:
                    continue
                seen.add(item.idnum)
                item = item.get_object()
            if not isinstance(item, (DictionaryObject, ArrayObject)):
                continue
            visited += 1
            if visited > MAX_PDF_OBJECTS or time.monotonic() > deadline:
                raise _pdf_refusal(
                    _("This PDF is too complex to be checked for harmful content."),
                    "pdf_too_complex",
                )
            if isinstance(item, DictionaryObject):  # a stream's dictionary too
                for key in PDF_METADATA_KEYS:
                    if key in item:
                        del item[NameObject(key)]
                values: Any = item.values()
            else:
                values = item
            pending.extend(v for v in values if isinstance(v, _STRIP_FOLLOWED))
        # What hung only from a removed key (the XMP streams) is still among the objects to
        # write: only what the walk reached is kept.
        for index in range(len(writer._objects)):
            if index + 1 not in seen:
                writer._objects[index] = None
        while writer._objects and writer._objects[-1] is None:
            writer._objects.pop()  # no free entries at the end: stripping again changes nothing
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    except ValidationError:
        raise
    except Exception as exc:  # pypdf raises many kinds on a crafted file: fail closed
        raise _pdf_refusal(
            _("This PDF could not be read, so it cannot be checked for harmful content."),
            "pdf_unreadable",
        ) from exc


_STRIP_FOLLOWED = (IndirectObject, DictionaryObject, ArrayObject)


def _find_forbidden(reader: PdfReader) -> str | None:
    """Walk every object reachable from the trailer, and every object the cross-reference
    tables list (those stored compressed inside object streams too, reachable or not): the
    first forbidden name found, or None. Bounded in objects and time; cycles are visited once."""
    deadline = time.monotonic() + MAX_PDF_CHECK_SECONDS
    seen: set[tuple[int, int]] = set()
    pending: list[Any] = [reader.trailer, *_listed_objects(reader)]
    visited = 0
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = reader.get_object(item)
        if isinstance(item, NameObject):
            if item in PDF_FORBIDDEN_NAMES:
                return str(item)
            continue
        if not isinstance(item, (DictionaryObject, ArrayObject)):
            continue  # numbers, strings, booleans, null: nothing to follow
        visited += 1
        if visited > MAX_PDF_OBJECTS or time.monotonic() > deadline:
            raise _pdf_refusal(
                _("This PDF is too complex to be checked for harmful content."), "pdf_too_complex"
            )
        if isinstance(item, DictionaryObject):  # a stream's dictionary too
            for name, value in item.items():
                if name in PDF_FORBIDDEN_NAMES:
                    return str(name)
                if name in ("/URI", "/Base"):
                    # A link's target may be an indirect object ("/URI 5 0 R"): resolved
                    # before its scheme is read, never taken as harmless for being a reference.
                    problem = _link_problem(_resolved(reader, value))
                    if problem is not None:
                        return problem
                if isinstance(value, _FOLLOWED):
                    pending.append(value)
            if _resolved(reader, item.get("/S")) == "/Thread" and "/F" in item:
                return "thread"  # an article thread in another file
        else:
            pending.extend(value for value in item if isinstance(value, _FOLLOWED))
    return None


_FOLLOWED = (IndirectObject, DictionaryObject, ArrayObject, NameObject)


def _resolved(reader: PdfReader, value: Any) -> Any:
    """The object a value stands for, through any chain of indirect references."""
    for _hop in range(32):  # a reference to a reference...: bounded, a cycle is not followed
        if not isinstance(value, IndirectObject):
            return value
        value = reader.get_object(value)
    return None


def _link_problem(uri: Any) -> str | None:
    """A link to a web page, an e-mail address or a phone number is fine; anything else is not.
    The catalog's /URI entry is a dictionary (its /Base is checked when the walk reaches it)."""
    if isinstance(uri, DictionaryObject):
        return None
    if not isinstance(uri, (TextStringObject, ByteStringObject)):
        return "link"  # not a string: no reader agrees on what it means, so it is refused
    text = bytes(uri).decode("latin-1") if isinstance(uri, bytes) else str(uri)
    # Readers, like browsers, drop spaces and control characters ("java script:", "\tfile:").
    compact = "".join(ch for ch in text if ch.isprintable() and not ch.isspace()).lower()
    scheme, colon, _rest = compact.partition(":")
    if colon and scheme in ("javascript", "vbscript"):
        return "/JavaScript"
    if colon and scheme == "file":
        return "/Launch"
    if not colon or scheme not in PDF_LINK_SCHEMES:
        return "link"
    return None


def _listed_objects(reader: PdfReader) -> Iterator[IndirectObject]:
    for generation, numbers in reader.xref.items():
        for number in numbers:
            yield IndirectObject(number, generation, reader)
    for number in reader.xref_objStm:
        yield IndirectObject(number, 0, reader)
