"""The core's checks for files whose kind is read from their bytes (premises photos and floor
plans): ``sniff_type``, ``clean_by_content`` and ``make_preview``."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from tests import factories
from victimsupport.files import (
    IMAGE_TYPES,
    PREVIEW_SIDE,
    clean_by_content,
    make_preview,
    sniff_type,
    strip_pdf_metadata,
)
from victimsupport.stored_files import carries_metadata


def _jpeg_with_comment(size=(800, 600)) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    Image.new("RGB", size, (10, 200, 30)).save(
        out, format="JPEG", exif=exif.tobytes(), comment=b"taken at the refuge"
    )
    return out.getvalue()


def test_the_kind_is_read_from_the_signature():
    assert sniff_type(factories.small_image("image/jpeg")) == "image/jpeg"
    assert sniff_type(factories.small_image("image/png")) == "image/png"
    assert sniff_type(factories.blank_pdf()) == "application/pdf"
    # Text has no signature: it is never taken for an image or a PDF.
    assert sniff_type(b"just some words") is None
    assert sniff_type(b"") is None


def test_an_image_is_cleaned_and_measured():
    cleaned = clean_by_content(data=_jpeg_with_comment())
    assert cleaned.content_type == "image/jpeg"
    assert (cleaned.width, cleaned.height) == (800, 600)
    assert not carries_metadata(cleaned.data, "image/jpeg")
    assert b"refuge" not in cleaned.data and b"PhoneMaker" not in cleaned.data


def test_a_png_stays_a_png():
    cleaned = clean_by_content(data=factories.small_image("image/png", (30, 20)))
    assert cleaned.content_type == "image/png"
    assert (cleaned.width, cleaned.height) == (30, 20)


@pytest.mark.parametrize(
    "data", [factories.blank_pdf(), b"plain text, not an image", b"GIF89a\x01\x00\x01\x00"]
)
def test_only_images_by_default(data):
    with pytest.raises(ValidationError) as refused:
        clean_by_content(data=data, allowed=IMAGE_TYPES)
    assert refused.value.code == "type"
    assert "JPEG and PNG" in refused.value.messages[0]


def test_a_pdf_where_it_is_allowed_with_its_own_refusal_for_others():
    allowed = ("image/jpeg", "image/png", "application/pdf")
    cleaned = clean_by_content(data=factories.blank_pdf(), allowed=allowed)
    assert cleaned.content_type == "application/pdf"
    assert (cleaned.width, cleaned.height) == (0, 0)
    with pytest.raises(ValidationError) as refused:
        clean_by_content(data=b"words", allowed=allowed, refusal="A floor plan only.")
    assert refused.value.messages == ["A floor plan only."]


def test_empty_and_oversize_files_are_refused(settings):
    with pytest.raises(ValidationError) as empty:
        clean_by_content(data=b"")
    assert empty.value.code == "empty"
    settings.DOCUMENT_MAX_BYTES = 10 * 1024
    with pytest.raises(ValidationError) as big:
        clean_by_content(data=b"\xff\xd8\xff" + b"\0" * (11 * 1024))
    assert big.value.code == "too_big"
    assert "the limit is 10 KB" in big.value.messages[0]


def test_a_damaged_image_is_refused():
    with pytest.raises(ValidationError) as refused:
        clean_by_content(data=b"\xff\xd8\xff\xe0 not really a jpeg")
    assert refused.value.code == "damaged"


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png"])
def test_a_preview_is_a_small_jpeg_without_metadata(content_type):
    cleaned = clean_by_content(
        data=factories.small_image(content_type, (1600, 900)), allowed=IMAGE_TYPES
    )
    preview = make_preview(cleaned.data, cleaned.content_type)
    with Image.open(io.BytesIO(preview)) as image:
        assert image.format == "JPEG"
        assert max(image.size) == PREVIEW_SIDE
        assert image.size == (PREVIEW_SIDE, 270)
        assert not image.getexif()
    assert not carries_metadata(preview, "image/jpeg")


def test_a_small_image_is_not_enlarged_for_its_preview():
    data = factories.small_image("image/png", (40, 30))
    with Image.open(io.BytesIO(make_preview(data, "image/png"))) as image:
        assert image.size == (40, 30)


# PDFs that say where they come from ------------------------------------------------------

FLOOR_PLAN_PDF_TYPES = ("image/jpeg", "image/png", "application/pdf")
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
    b"<dc:title>Floor plan, 12 Lantern Row, Harbourside</dc:title>"
    b'</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)
PAGE_CONTENT = b"BT /F1 12 Tf 20 100 Td (Ground floor: kitchen, garden gate) Tj ET"


def _pdf_with_metadata() -> bytes:
    """A one-page floor plan whose title, XMP packets (the document's and its page's) and
    application data name the refuge's address; its page draws text."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, TextStringObject

    def xmp_stream(writer):
        stream = DecodedStreamObject()
        stream.set_data(XMP)
        stream[NameObject("/Type")] = NameObject("/Metadata")
        stream[NameObject("/Subtype")] = NameObject("/XML")
        return writer._add_object(stream)

    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    content = DecodedStreamObject()
    content.set_data(PAGE_CONTENT)
    page[NameObject("/Contents")] = writer._add_object(content)
    page[NameObject("/Metadata")] = xmp_stream(writer)
    page[NameObject("/PieceInfo")] = DictionaryObject(
        {NameObject("/Drawer"): TextStringObject("Lantern Row survey")}
    )
    writer._root_object[NameObject("/Metadata")] = xmp_stream(writer)
    writer.add_metadata({"/Title": "Floor plan 12 Lantern Row", "/Author": "Lantern Row staff"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_is_kept_as_received_unless_asked():
    """Case documents are evidence: by default a PDF is checked, not rewritten."""
    data = _pdf_with_metadata()
    assert b"Lantern" in data  # the test's own file says where it comes from
    cleaned = clean_by_content(data=data, allowed=FLOOR_PLAN_PDF_TYPES)
    assert cleaned.data == data


def test_a_pdfs_metadata_is_removed_where_asked():
    from pypdf import PdfReader

    cleaned = clean_by_content(
        data=_pdf_with_metadata(), allowed=FLOOR_PLAN_PDF_TYPES, strip_pdf_metadata=True
    )
    assert cleaned.content_type == "application/pdf"
    assert b"Lantern" not in cleaned.data
    reader = PdfReader(io.BytesIO(cleaned.data))
    assert not reader.metadata
    assert reader.xmp_metadata is None
    assert "/Metadata" not in reader.trailer["/Root"]
    (page,) = reader.pages
    assert "/Metadata" not in page and "/PieceInfo" not in page
    # The page is as it was: its size and what it draws.
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (200, 200)
    assert page.get_contents().get_data() == PAGE_CONTENT


def test_strip_pdf_metadata_on_its_own():
    from pypdf import PdfReader

    stripped = strip_pdf_metadata(_pdf_with_metadata())
    assert b"Lantern" not in stripped
    assert not PdfReader(io.BytesIO(stripped)).metadata
    # A PDF without metadata comes through readable, one page.
    assert len(PdfReader(io.BytesIO(strip_pdf_metadata(factories.blank_pdf()))).pages) == 1
    with pytest.raises(ValidationError) as refused:
        strip_pdf_metadata(b"%PDF-1.4 not really a pdf")
    assert refused.value.code == "pdf_unreadable"


def _pdf_with_outline_and_note() -> bytes:
    """A one-page floor plan with a bookmark, a page label, a named destination and a text
    annotation (author and contents) that all name the street; its page draws text."""
    from pypdf import PdfWriter
    from pypdf.annotations import Text
    from pypdf.generic import DecodedStreamObject, NameObject, TextStringObject

    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    content = DecodedStreamObject()
    content.set_data(PAGE_CONTENT)
    page[NameObject("/Contents")] = writer._add_object(content)
    writer.add_outline_item(title="Lantern Row ground floor", page_number=0)
    writer.set_page_label(0, 0, prefix="Lantern Row ")
    writer.add_named_destination("Lantern Row entrance", 0)
    note = Text(rect=(20, 20, 60, 60), text="The gate on Lantern Row sticks")
    note[NameObject("/T")] = TextStringObject("Lantern Row warden")
    writer.add_annotation(page_number=0, annotation=note)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_floor_plans_outline_labels_names_and_notes_are_removed():
    from pypdf import PdfReader

    data = _pdf_with_outline_and_note()
    original = PdfReader(io.BytesIO(data))
    # The test's own file carries them all.
    assert original.outline and "/PageLabels" in original.trailer["/Root"]
    assert "/Names" in original.trailer["/Root"] and "/Annots" in original.pages[0]
    assert data.count(b"Lantern") >= 4

    cleaned = clean_by_content(data=data, allowed=FLOOR_PLAN_PDF_TYPES, strip_pdf_metadata=True)
    assert b"Lantern" not in cleaned.data
    reader = PdfReader(io.BytesIO(cleaned.data))
    root = reader.trailer["/Root"]
    for key in ("/Outlines", "/PageLabels", "/Names", "/Dests", "/AcroForm"):
        assert key not in root
    assert not reader.outline
    (page,) = reader.pages
    assert "/Annots" not in page
    # What the page draws is kept.
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (200, 200)
    assert page.get_contents().get_data() == PAGE_CONTENT
    # Stripping again changes nothing (``recheck_files`` compares the stored bytes with it).
    assert strip_pdf_metadata(cleaned.data) == cleaned.data
