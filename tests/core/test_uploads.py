"""Uploads that could harm the server or whoever opens them: images are refused past a pixel
budget before decoding and processed within a memory bound, decompression bombs are called too
large (not damaged), PDFs with JavaScript, actions or embedded files are refused. The checks
live in the core (victimsupport.files) for every app that takes a file."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image, ImageFile
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from cases.models import Document
from risk.models import TrainingRecord
from tests import factories
from victimsupport import files
from victimsupport.audit.models import AuditEntry

REPO = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def clean(data: bytes, content_type: str) -> bytes:
    return files.clean_upload(name="upload", content_type=content_type, data=data)


def refusal(data: bytes, content_type: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        clean(data, content_type)
    return caught.value


def png(size, mode="1", **options) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, format="PNG", **options)
    return out.getvalue()


def jpeg(size, mode="L", **options) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 90).save(out, format="JPEG", quality=80, **options)
    return out.getvalue()


def with_declared_size(jpeg_bytes: bytes, width: int, height: int) -> bytes:
    """The same small JPEG with a start-of-frame header claiming other dimensions: what an
    attacker sends, and a way to test a header check without making a huge image."""
    data = bytearray(jpeg_bytes)
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = data.find(marker)
        if at != -1:
            data[at + 5 : at + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
            return bytes(data)
    raise AssertionError("no start-of-frame marker")


def png_chunk_types(data: bytes) -> list[bytes]:
    types, at = [], 8
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        types.append(data[at + 4 : at + 8])
        at += 12 + length
    return types


# Pixel budget -----------------------------------------------------------------------------


def test_a_small_png_claiming_huge_dimensions_is_refused_before_decoding(monkeypatch):
    bomb = png((7700, 7700))
    assert len(bomb) < 20_000

    def no_decoding(self):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    error = refusal(bomb, "image/png")
    assert error.code == "too_many_pixels"
    assert error.messages == [
        "The image is too large to process: 7700 × 7700 pixels (59 megapixels); the most this "  # noqa: RUF001
        "service can process is 16 megapixels. Save a smaller copy and attach it again."
    ]


def test_progressive_jpeg_over_the_budget_is_refused():
    # libjpeg keeps all of a progressive file's coefficients whatever the scale: no reduction.
    big = with_declared_size(jpeg((64, 48), progressive=True), 6000, 4000)
    error = refusal(big, "image/jpeg")
    assert error.code == "too_many_pixels" and "24 megapixels" in error.messages[0]


def test_jpeg_beyond_what_can_be_reduced_is_refused():
    huge = with_declared_size(jpeg((64, 48)), 20000, 15000)
    error = refusal(huge, "image/jpeg")
    assert error.code == "too_many_pixels"
    assert "(300 megapixels); the most this service can process is 200" in error.messages[0]


def test_a_large_phone_photo_is_kept_at_reduced_scale():
    # A 50 MP sensor mode (8160 x 6144) decoded at half scale: 12.5 MP, within the budget.
    stored = clean(jpeg((8160, 6144)), "image/jpeg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # half the budget
        with Image.open(io.BytesIO(stored)) as image:
            assert image.size == (4080, 3072)


def test_pillow_refuses_past_the_budget_everywhere_in_the_process():
    assert Image.MAX_IMAGE_PIXELS * 2 == files.MAX_DECODED_PIXELS
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(png((7700, 7700))))


def test_png_text_that_decompresses_hugely_is_too_large_not_damaged():
    info = PngInfo()
    info.add_text("Comment", "x" * (4 * MB), zip=True)  # a few KB compressed
    bomb = png((8, 8), pnginfo=info)
    assert len(bomb) < 50_000
    error = refusal(bomb, "image/png")
    assert error.code == "metadata_too_large"
    assert "too large to process" in error.messages[0]
    assert "damaged" not in error.messages[0]


def test_a_truncated_image_is_called_damaged():
    error = refusal(jpeg((64, 48))[:200], "image/jpeg")
    assert error.code == "damaged"
    assert "save or export it again" in error.messages[0]


def test_image_checks_hold_after_weasyprint_loosened_pillow(monkeypatch):
    import weasyprint.images  # noqa: F401 - its import lets Pillow half-decode truncated images

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # as after a PDF export
    assert refusal(jpeg((64, 48))[:200], "image/jpeg").code == "damaged"
    info = PngInfo()
    info.add_text("Comment", "x" * (4 * MB), zip=True)
    assert refusal(png((8, 8), pnginfo=info), "image/png").code == "metadata_too_large"


MEASURE = """
import gc, json, os, resource, sys
import django
django.setup()
from django.core.exceptions import ValidationError
from PIL import Image
try:
    from victimsupport.files import clean_upload
except ImportError:  # the code before the checks moved to the core
    from cases.documents import check_upload, strip_image_metadata

    def clean_upload(*, name, content_type, data):
        check_upload(name=name, content_type=content_type, data=data)
        return strip_image_metadata(data, content_type)

data = open(sys.argv[1], "rb").read()
gc.collect()
unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is in bytes on macOS, KB on Linux
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
try:
    stored = clean_upload(name="x", content_type=sys.argv[2], data=data)
    outcome = list(Image.open(__import__("io").BytesIO(stored)).size)
except ValidationError as exc:
    outcome = exc.code
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
print(json.dumps({"growth": after - before, "outcome": outcome}))
"""

# The decoded budget at Pillow's 4 bytes a pixel, and some room for the encoder's buffers.
DECODED_BOUND = files.MAX_DECODED_PIXELS * 4 + 16 * MB


@pytest.mark.parametrize(
    ("make", "content_type", "outcome", "bound"),
    [
        # Today's code took 736 MB for this 7 KB file; it must not be decoded at all.
        (lambda: png((7700, 7700)), "image/png", "too_many_pixels", 16 * MB),
        # A budget-sized PNG with transparency: decoded once (245 MB with three copies before).
        (lambda: png((4000, 4000), "RGBA"), "image/png", [4000, 4000], DECODED_BOUND),
        # A 50 MP phone photo, decoded at half scale (193 MB in full before).
        (lambda: jpeg((8160, 6144)), "image/jpeg", [4080, 3072], DECODED_BOUND),
    ],
    ids=["pixel-bomb-png", "budget-sized-png", "50-megapixel-jpeg"],
)
def test_peak_memory_of_processing_an_image_is_bounded(
    tmp_path, make, content_type, outcome, bound
):
    # Pillow allocates pixels outside Python's heap: only the process's peak resident size sees
    # them, so the processing runs in a fresh process of its own.
    upload = tmp_path / "upload"
    upload.write_bytes(make())
    script = tmp_path / "measure.py"
    script.write_text(MEASURE)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, str(script), str(upload), content_type],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["growth"] < bound, f"{result['growth'] / MB:.0f} MB"
    assert result["outcome"] == outcome


# Metadata ---------------------------------------------------------------------------------


def jpeg_with_everything() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS
    exif[0x0112] = 6  # turn 90 degrees to show upright
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(
        out,
        format="JPEG",
        exif=exif.tobytes(),
        xmp=b"<x:xmpmeta><exif:GPSLatitude>51,30N</exif:GPSLatitude></x:xmpmeta>",
        icc_profile=b"ICC-profile-from-MyLaptop",
        comment=b"Taken at 12 Refuge Road",
    )
    data = out.getvalue()
    # An APP13 (Photoshop/IPTC) segment, which can carry a place name; Pillow never writes one.
    iptc = b"Photoshop 3.0\x00IPTC City: Leeds"
    return data[:2] + b"\xff\xed" + (len(iptc) + 2).to_bytes(2, "big") + iptc + data[2:]


def test_stored_jpeg_keeps_only_the_pixels_turned_upright():
    original = jpeg_with_everything()
    for marker in (b"PhoneMaker", b"GPSLatitude", b"MyLaptop", b"Refuge Road", b"Leeds"):
        assert marker in original
    stored = clean(original, "image/jpeg")
    for marker in (b"PhoneMaker", b"GPSLatitude", b"MyLaptop", b"Refuge Road", b"Leeds"):
        assert marker not in stored
    assert b"Exif\x00" not in stored and b"http://ns.adobe.com/xap" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (10, 20)  # the orientation was applied before it was dropped
        assert not image.getexif()
        assert not {"exif", "xmp", "icc_profile", "comment", "photoshop"} & set(image.info)


def test_stored_png_has_no_text_xmp_exif_or_profile_chunks():
    info = PngInfo()
    info.add_text("Location", "52.37N 4.89E")
    info.add_text("Comment", "Back door of the refuge", zip=True)
    info.add_itxt("Author", "Mira Okafor", lang="en")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>GPSLatitude 52.37</x:xmpmeta>")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    original = png((8, 8), "RGBA", pnginfo=info, exif=exif.tobytes(), icc_profile=b"MyLaptop")
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"} <= set(png_chunk_types(original))
    stored = clean(original, "image/png")
    assert set(png_chunk_types(stored)) == {b"IHDR", b"IDAT", b"IEND"}
    for marker in (b"52.37", b"Mira", b"PhoneMaker", b"xmpmeta"):
        assert marker not in stored


def test_png_transparency_survives_re_encoding():
    image = Image.new("P", (4, 4), 1)
    image.putpalette([0, 0, 0, 255, 0, 0])
    out = io.BytesIO()
    image.save(out, format="PNG", transparency=1)  # red is see-through
    with Image.open(io.BytesIO(clean(out.getvalue(), "image/png"))) as stored:
        assert stored.info["transparency"] == 1
        assert stored.convert("RGBA").getpixel((0, 0)) == (255, 0, 0, 0)


# PDFs -------------------------------------------------------------------------------------


def pdf(build=None, *, user_password=None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    if build is not None:
        build(writer)
    if user_password is not None:
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def name(value: str) -> NameObject:
    return NameObject(value)


def action(kind: str, **entries) -> DictionaryObject:
    return DictionaryObject(
        {name("/S"): name(kind), **{name(f"/{k}"): v for k, v in entries.items()}}
    )


def open_action_js(writer):
    writer.root_object[name("/OpenAction")] = action(
        "/JavaScript", JS=TextStringObject("app.alert(1)")
    )


def launch_link(writer):
    annotation = DictionaryObject(
        {
            name("/Type"): name("/Annot"),
            name("/Subtype"): name("/Link"),
            name("/Rect"): ArrayObject(
                [FloatObject(0), FloatObject(0), FloatObject(50), FloatObject(50)]
            ),
            name("/A"): action("/Launch", F=TextStringObject("cmd.exe")),
        }
    )
    writer.pages[0][name("/Annots")] = ArrayObject([annotation])


def embedded_file(writer):
    writer.add_attachment("invoice.exe", b"MZ\x90\x00")


def file_attachment_annotation(writer):
    annotation = DictionaryObject(
        {
            name("/Type"): name("/Annot"),
            name("/Subtype"): name("/FileAttachment"),
            name("/Rect"): ArrayObject(
                [FloatObject(0), FloatObject(0), FloatObject(9), FloatObject(9)]
            ),
        }
    )
    writer.pages[0][name("/Annots")] = ArrayObject([annotation])


def submit_form(writer):
    writer.root_object[name("/OpenAction")] = action(
        "/SubmitForm", F=TextStringObject("https://x.example/")
    )


def script_link(writer):
    link = action("/URI", URI=TextStringObject("JavaScript:app.alert(1)"))
    writer.root_object[name("/OpenAction")] = link


def local_file_link(writer):
    writer.root_object[name("/OpenAction")] = action(
        "/URI", URI=TextStringObject("file:///C:/x.exe")
    )


def xfa_form(writer):
    writer.root_object[name("/AcroForm")] = DictionaryObject(
        {name("/Fields"): ArrayObject(), name("/XFA"): TextStringObject("<xdp/>")}
    )


def open_action(kind: str, **entries):
    def build(writer):
        writer.root_object[name("/OpenAction")] = action(kind, **entries)

    return build


def indirect_link(target: str):
    """A link whose target is an indirect object ("/URI 5 0 R"), not a string in place."""

    def build(writer):
        reference = writer._add_object(TextStringObject(target))
        writer.root_object[name("/OpenAction")] = action("/URI", URI=reference)

    return build


def link_through_two_references(writer):
    inner = writer._add_object(TextStringObject("javascript:app.alert(1)"))
    outer = writer._add_object(inner)
    writer.root_object[name("/OpenAction")] = action("/URI", URI=outer)


def relative_base(writer):
    writer.root_object[name("/URI")] = DictionaryObject(
        {name("/Base"): TextStringObject("file:///C:/Windows/System32/")}
    )


def pdf_with_object_stream(hidden: bytes, *, reachable: bool) -> bytes:
    """A PDF whose object 4 lives compressed inside an object stream (found through a
    cross-reference stream), optionally the document's open action: what a byte scan misses."""
    catalog = (
        b"<< /Type /Catalog /Pages 2 0 R" + (b" /OpenAction 4 0 R" if reachable else b"") + b" >>"
    )
    objects = {
        1: catalog,
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    }
    header = b"4 0 "
    packed = zlib.compress(header + hidden)
    objects[5] = (
        b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(header), len(packed))
        + packed
        + b"\nendstream"
    )
    out = bytearray(b"%PDF-1.5\n")
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    offsets[6] = len(out)
    rows = [b"\x00" + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")]
    for number in range(1, 7):
        if number == 4:
            rows.append(b"\x02" + (5).to_bytes(4, "big") + (0).to_bytes(2, "big"))
        else:
            rows.append(b"\x01" + offsets[number].to_bytes(4, "big") + (0).to_bytes(2, "big"))
    table = b"".join(rows)
    out += (
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
        % len(table)
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[6]
    )
    return bytes(out)


def test_a_plain_pdf_is_kept_as_it_is():
    # Text that merely mentions JavaScript is not JavaScript.
    document = pdf(lambda w: w.add_metadata({"/Title": "About /JavaScript and /Launch"}))
    assert clean(document, "application/pdf") == document


@pytest.mark.parametrize(
    ("build", "what"),
    [
        (open_action_js, "JavaScript"),
        (launch_link, "an action that starts a program"),
        (embedded_file, "an embedded file"),
        (file_attachment_annotation, "an attached file"),
        (submit_form, "a form that sends data"),
        (script_link, "JavaScript"),
        (local_file_link, "an action that starts a program"),
        (xfa_form, "an XFA form"),
    ],
    ids=[
        "javascript-open-action",
        "launch-action",
        "embedded-file",
        "file-attachment",
        "submit-form",
        "javascript-link",
        "local-file-link",
        "xfa",
    ],
)
def test_a_pdf_with_active_or_embedded_content_is_refused(build, what):
    error = refusal(pdf(build), "application/pdf")
    assert error.code == "pdf_active_content"
    assert f"This PDF contains {what}" in error.messages[0]
    assert "Print it to a new PDF" in error.messages[0] and "scan it" in error.messages[0]


@pytest.mark.parametrize(
    ("build", "what"),
    [
        (indirect_link("javascript:app.alert(1)"), "JavaScript"),
        (indirect_link("file:///C:/x.exe"), "an action that starts a program"),
        (link_through_two_references, "JavaScript"),
        (
            open_action("/GoToR", F=TextStringObject("\\\\198.51.100.7\\share\\a.pdf")),
            "a link that opens another file",
        ),
        (
            open_action("/Thread", F=TextStringObject("other.pdf"), D=FloatObject(0)),
            "a link that opens another file",
        ),
        (open_action("/Rendition", OP=FloatObject(0)), "embedded media"),
        (open_action("/Sound"), "embedded media"),
        (open_action("/Movie"), "embedded media"),
        (
            open_action("/URI", URI=TextStringObject("ms-msdt:/id PCWDiagnostic")),
            "a link that opens something other than a web page",
        ),
        (
            open_action("/URI", URI=TextStringObject("\\\\198.51.100.7\\share")),
            "a link that opens something other than a web page",
        ),
        (
            open_action("/URI", URI=TextStringObject("smb://198.51.100.7/share")),
            "a link that opens something other than a web page",
        ),
        (open_action("/URI", URI=TextStringObject("\tjava\nscript:app.alert(1)")), "JavaScript"),
        (relative_base, "an action that starts a program"),
    ],
    ids=[
        "indirect-javascript-link",
        "indirect-local-file-link",
        "link-through-two-references",
        "go-to-remote-file",
        "thread-in-another-file",
        "rendition",
        "sound",
        "movie",
        "program-launcher-scheme",
        "windows-share-link",
        "smb-link",
        "javascript-link-with-control-characters",
        "file-base-uri",
    ],
)
def test_a_pdf_that_opens_or_fetches_something_outside_itself_is_refused(build, what):
    error = refusal(pdf(build), "application/pdf")
    assert error.code == "pdf_active_content"
    assert f"This PDF contains {what}" in error.messages[0]


@pytest.mark.parametrize(
    "build",
    [
        open_action("/GoTo", D=ArrayObject([FloatObject(0), name("/Fit")])),
        open_action("/Named", N=name("/NextPage")),
        open_action("/Hide", T=TextStringObject("note"), H=FloatObject(1)),
        open_action("/Thread", D=FloatObject(0)),
        open_action("/URI", URI=TextStringObject("https://www.example.org/help")),
        open_action("/URI", URI=TextStringObject("http://example.org/")),
        open_action("/URI", URI=TextStringObject("mailto:help@example.org")),
        open_action("/URI", URI=TextStringObject("tel:+441632960000")),
        indirect_link("https://www.example.org/help"),
    ],
    ids=[
        "go-to-page",
        "named-action",
        "hide-annotation",
        "thread-in-this-file",
        "https-link",
        "http-link",
        "mailto-link",
        "tel-link",
        "indirect-https-link",
    ],
)
def test_a_pdf_with_internal_links_or_web_links_is_kept(build):
    document = pdf(build)
    assert clean(document, "application/pdf") == document


@pytest.mark.parametrize("reachable", [True, False], ids=["open-action", "unreferenced"])
@pytest.mark.parametrize(
    "hidden",
    [
        b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>",
        b"<< /S /Java#53cript /J#53 (app.alert\\(1\\)) >>",  # names spelled with #-escapes
    ],
    ids=["plain-names", "escaped-names"],
)
def test_javascript_compressed_in_an_object_stream_is_found(hidden, reachable):
    document = pdf_with_object_stream(hidden, reachable=reachable)
    assert b"JavaScript" not in document and b"/JS" not in document
    assert len(PdfReader(io.BytesIO(document)).pages) == 1  # a well-formed PDF
    assert refusal(document, "application/pdf").code == "pdf_active_content"
    # The same file with a harmless object there is accepted.
    harmless = pdf_with_object_stream(
        b"<< /S /URI /URI (https://example.org/) >>", reachable=reachable
    )
    assert clean(harmless, "application/pdf") == harmless


def test_a_pdf_that_needs_a_password_is_refused_with_what_to_do():
    error = refusal(pdf(user_password="secret"), "application/pdf")
    assert error.code == "pdf_encrypted"
    assert "protected by a password" in error.messages[0]
    assert "print it to a new PDF without one" in error.messages[0]


def test_a_pdf_restricted_only_by_its_owner_password_is_checked_and_kept():
    document = pdf(user_password="")
    assert clean(document, "application/pdf") == document
    assert refusal(pdf(open_action_js, user_password=""), "application/pdf").code == (
        "pdf_active_content"
    )


def test_a_pdf_that_cannot_be_parsed_is_refused():
    error = refusal(b"%PDF-1.4\n" + b"\x00garbage" * 100, "application/pdf")
    assert error.code == "pdf_unreadable"
    assert "could not be read" in error.messages[0] and "Print it to a new PDF" in error.messages[0]


@pytest.mark.parametrize(
    ("bound", "value"), [("MAX_PDF_OBJECTS", 3), ("MAX_PDF_CHECK_SECONDS", -1)]
)
def test_a_pdf_too_large_to_check_in_bounded_time_is_refused(monkeypatch, bound, value):
    monkeypatch.setattr(files, bound, value)
    error = refusal(pdf(), "application/pdf")
    assert error.code == "pdf_too_complex" and "Print it to a new PDF" in error.messages[0]


# Through the pages --------------------------------------------------------------------------


@pytest.fixture
def case(cara):
    return factories.make_full_case(cara, given_name="Mira", family_name="Okafor")


def attach(client, case, name, content, content_type, description=""):
    return client.post(
        f"/cases/{case.pk}/documents/",
        {
            "file": SimpleUploadedFile(name, content, content_type=content_type),
            "description": description,
        },
    )


def document_changes():
    return AuditEntry.objects.get_for_model(Document)


@pytest.mark.django_db
def test_case_page_refuses_a_pixel_bomb_and_keeps_the_description(client, cara, case):
    client.force_login(cara)
    response = attach(
        client, case, "door.png", png((7700, 7700)), "image/png", "Photo of the back door"
    )
    assert response.status_code == 400
    assert "too large to process: 7700 × 7700 pixels" in response.text  # noqa: RUF001
    assert "Photo of the back door" in response.text
    assert not Document.objects.exists() and not document_changes().exists()


@pytest.mark.django_db
def test_case_page_refuses_a_pdf_with_javascript(client, cara, case):
    client.force_login(cara)
    response = attach(client, case, "letter.pdf", pdf(open_action_js), "application/pdf", "Letter")
    assert response.status_code == 400
    assert "This PDF contains JavaScript" in response.text
    assert not Document.objects.exists() and not document_changes().exists()


@pytest.mark.django_db
def test_case_page_keeps_a_clean_pdf(client, cara, case):
    client.force_login(cara)
    document = pdf()
    assert attach(client, case, "letter.pdf", document, "application/pdf").status_code == 302
    assert Document.objects.get(case=case).content == document
    assert document_changes().filter(action=AuditEntry.Action.CREATE).count() == 1


@pytest.mark.django_db
def test_training_certificate_with_javascript_is_refused(client, north):
    sofia = factories.supervisor(north)
    cara = factories.caseworker(north)
    client.force_login(sofia)
    response = client.post(
        "/risk/training/",
        {
            "user": cara.pk,
            "course": "Risk assessment in practice",
            "completed_on": timezone.localdate().isoformat(),
            "provider": "Regional network",
            "certificate": SimpleUploadedFile("c.pdf", pdf(open_action_js), "application/pdf"),
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "This PDF contains JavaScript" in errors["certificate"][0]  # next to the field
    assert "This PDF contains JavaScript" in response.text
    assert "Risk assessment in practice" in response.text  # what was typed is kept
    assert not TrainingRecord.objects.exists()


# Files stored before the checks existed ------------------------------------------------------


def stored_before_the_checks(case, content: bytes, content_type: str, **fields) -> Document:
    """A document as the code before the checks kept it: the bytes as they were sent."""
    return Document.objects.create(
        case=case,
        filename=fields.pop("filename", "Mira Okafor letter.pdf"),
        description=fields.pop("description", "Letter from her landlord"),
        content_type=content_type,
        size=len(content),
        content=content,
        uploaded_by=case.assigned_to,
    )


def certificate_stored_before_the_checks(user, content: bytes, content_type: str):
    return TrainingRecord.objects.create(
        user=user,
        course="Risk assessment in practice",
        completed_on=timezone.localdate(),
        provider="Regional network",
        certificate_name="Cara certificate.pdf",
        certificate=content,
        certificate_type=content_type,
        recorded_by=user,
    )


def remote_file_link(writer):
    writer.root_object[name("/OpenAction")] = action(
        "/GoToR", F=TextStringObject("\\\\198.51.100.7\\share\\a.pdf")
    )


def recheck(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("recheck_files", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def updates(obj):
    return AuditEntry.objects.get_for_object(obj).filter(action=AuditEntry.Action.UPDATE)


@pytest.mark.django_db
def test_recheck_reports_refused_files_by_id_only_and_changes_nothing(case, cara):
    harmful = stored_before_the_checks(case, pdf(open_action_js), "application/pdf")
    fine = stored_before_the_checks(case, pdf(), "application/pdf")
    certificate = certificate_stored_before_the_checks(
        cara, pdf(remote_file_link), "application/pdf"
    )
    out, err = recheck()
    assert f"document {harmful.pk}: would be refused (pdf_active_content)" in out
    assert f"certificate {certificate.pk}: would be refused (pdf_active_content)" in out
    assert f"document {fine.pk}:" not in out
    assert "Checked 3 files: 2 refused" in out and "--quarantine" in out
    assert "document: 2/2" in err and "certificate: 1/1" in err  # progress
    for secret in ("Mira", "Okafor", "landlord", "Cara", "app.alert", "198.51"):
        assert secret not in out + err
    harmful.refresh_from_db()
    assert harmful.quarantined_at is None and not updates(harmful).exists()


@pytest.mark.django_db
def test_recheck_with_quarantine_sets_aside_what_fails_and_audits_it(case, cara):
    harmful = stored_before_the_checks(
        case, pdf(indirect_link("javascript:x()")), "application/pdf"
    )
    fine = stored_before_the_checks(case, pdf(), "application/pdf")
    certificate = certificate_stored_before_the_checks(
        cara, pdf(remote_file_link), "application/pdf"
    )
    out, _err = recheck("--quarantine")
    assert f"document {harmful.pk}: quarantined (pdf_active_content)" in out
    harmful.refresh_from_db()
    assert harmful.quarantined_at is not None
    assert harmful.quarantine_reason == "pdf_active_content"
    entry = updates(harmful).get()
    assert entry.changes["quarantine_reason"][1] == "pdf_active_content"
    assert "quarantined_at" in entry.changes
    certificate.refresh_from_db()
    assert certificate.certificate_quarantined_at is not None
    assert certificate.certificate_quarantine_reason == "pdf_active_content"
    assert updates(certificate).count() == 1
    fine.refresh_from_db()
    assert fine.quarantined_at is None and not updates(fine).exists()
    # Run again: what is set aside stays so and is not checked (or audited) twice.
    out, _err = recheck("--quarantine")
    assert "Checked 1 files: 0 refused" in out
    assert updates(harmful).count() == 1


@pytest.mark.django_db
def test_a_quarantined_document_is_not_served_and_the_caseworker_is_told_why(client, cara, case):
    document = stored_before_the_checks(case, pdf(remote_file_link), "application/pdf")
    recheck("--quarantine")
    client.force_login(cara)
    response = client.get(f"/cases/{case.pk}/documents/{document.pk}/", follow=True)
    assert response.redirect_chain == [(f"/cases/{case.pk}/", 302)]
    assert "application/pdf" not in response["Content-Type"]
    assert "This file was set aside on" in response.text
    assert "cannot be downloaded: the PDF contains content that could harm" in response.text
    assert "Ask whoever sent it for a new copy" in response.text
    assert "set aside: cannot be downloaded" in response.text  # in the list of documents
    downloads = AuditEntry.objects.get_for_object(case).filter(action=AuditEntry.Action.ACCESS)
    assert not [e for e in downloads if (e.additional_data or {}).get("document") == document.pk]


@pytest.mark.django_db
def test_a_quarantined_certificate_is_not_served_and_the_supervisor_is_told_why(client, north):
    sofia = factories.supervisor(north)
    cara = factories.caseworker(north)
    record = certificate_stored_before_the_checks(cara, pdf(open_action_js), "application/pdf")
    recheck("--quarantine")
    client.force_login(sofia)
    response = client.get(f"/risk/training/{record.pk}/certificate/", follow=True)
    assert response.redirect_chain == [("/risk/training/", 302)]
    assert "This file was set aside on" in response.text
    assert "Set aside: cannot be downloaded" in response.text
    assert not AuditEntry.objects.get_for_object(record).filter(action=AuditEntry.Action.ACCESS)


@pytest.mark.django_db
def test_recheck_reports_images_still_carrying_metadata_and_re_encodes_them_on_request(case):
    photo = stored_before_the_checks(
        case, jpeg_with_everything(), "image/jpeg", filename="refuge door.jpg"
    )
    already_clean = stored_before_the_checks(
        case, clean(jpeg((20, 10)), "image/jpeg"), "image/jpeg"
    )
    clean_png = stored_before_the_checks(
        case, clean(png((8, 8), "RGB", transparency=(0, 0, 0)), "image/png"), "image/png"
    )
    out, _err = recheck()
    assert f"document {photo.pk}: image carries metadata" in out
    assert f"document {already_clean.pk}:" not in out and f"document {clean_png.pk}:" not in out
    assert "--reencode-images" in out
    photo.refresh_from_db()
    assert b"GPSLatitude" in photo.content and not updates(photo).exists()

    out, _err = recheck("--reencode-images")
    assert f"document {photo.pk}: image re-encoded" in out
    photo.refresh_from_db()
    for marker in (b"PhoneMaker", b"GPSLatitude", b"Refuge Road", b"Leeds"):
        assert marker not in photo.content
    assert photo.size == len(photo.content) and photo.quarantined_at is None
    assert updates(photo).count() == 1
    assert "images carrying metadata" in recheck()[0] and "image carries" not in recheck()[0]


def test_a_request_keeps_at_most_the_limit_in_memory_however_many_files_it_sends(settings, rf):
    # Django accepts 100 file parts a request: each under the limit, together a hundred times it.
    from victimsupport.uploads import BoundedMemoryUploadHandler

    settings.DOCUMENT_MAX_BYTES = 100
    handler = BoundedMemoryUploadHandler(rf.post("/"))
    kept = []
    for number in range(3):
        handler.new_file("file", f"{number}.txt", "text/plain", 60, None, {})
        handler.receive_data_chunk(b"z" * 60, 0)
        kept.append(handler.file_complete(60))
    assert [f.read() for f in kept] == [b"z" * 60, b"", b""]
    assert [f.size for f in kept] == [60, 60, 60]
