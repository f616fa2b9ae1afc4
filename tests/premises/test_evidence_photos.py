"""Photos of the premises: a real photo carrying its GPS position, an EXIF thumbnail and an XMP
packet (and a PNG with text, XMP and EXIF chunks) is uploaded through the page, and the stored
copy and its preview are read back: nothing of it survives. The kind is read from the bytes;
the size is limited; the caption is encrypted; removal is a supervisor's; auditors read."""

from __future__ import annotations

import io
import struct

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image, PngImagePlugin

from premises.models import SitePhoto
from premises.selectors.evidence import site_panel
from premises.services import evidence as services
from tests import factories
from victimsupport.access import MaySeeNotChange, Role
from victimsupport.audit.models import AuditEntry
from victimsupport.stored_files import Refusal, carries_metadata

pytestmark = pytest.mark.django_db

CAPTION = "Back door of the Lantern refuge, seen from the yard"
XMP_NS = b"http://ns.adobe.com/xap/1.0/"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="51,30.5N" '
    b'xmp:CreatorTool="PhoneCam"/></rdf:RDF></x:xmpmeta>'
)


# --- A photo as a phone writes it -----------------------------------------------------------


def _entry(tag: int, kind: int, count: int, value: bytes, data_at: int) -> tuple[bytes, bytes]:
    """One TIFF directory entry (little-endian): inline value, or an offset to ``value``."""
    if len(value) <= 4:
        return struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0"), b""
    return struct.pack("<HHII", tag, kind, count, data_at), value


def _ifd(at: int, entries: list[tuple[int, int, int, bytes]], next_ifd: int) -> bytes:
    data_at = at + 2 + 12 * len(entries) + 4
    head, data = b"", b""
    for tag, kind, count, value in entries:
        raw, extra = _entry(tag, kind, count, value, data_at + len(data))
        head += raw
        data += extra
    return struct.pack("<H", len(entries)) + head + struct.pack("<I", next_ifd) + data


def _rational(*pairs: tuple[int, int]) -> bytes:
    return b"".join(struct.pack("<II", n, d) for n, d in pairs)


def _exif_with_gps_and_thumbnail(thumbnail: bytes) -> bytes:
    """The EXIF block: IFD0 (camera make, a pointer to the GPS IFD), the GPS IFD (latitude
    and longitude) and IFD1 holding an embedded JPEG thumbnail."""
    ascii_, long_, rational = 2, 4, 5
    ifd0_at = 8
    make = b"PhoneMaker\0"
    ifd0_size = 2 + 12 * 2 + 4 + len(make)
    gps_at = ifd0_at + ifd0_size
    gps_entries = [
        (1, ascii_, 2, b"N\0"),
        (2, rational, 3, _rational((51, 1), (30, 1), (2634, 100))),
        (3, ascii_, 2, b"W\0"),
        (4, rational, 3, _rational((0, 1), (7, 1), (3990, 100))),
    ]
    gps_size = 2 + 12 * 4 + 4 + 48
    ifd1_at = gps_at + gps_size
    thumb_at = ifd1_at + 2 + 12 * 2 + 4
    ifd0 = _ifd(
        ifd0_at,
        [(0x010F, ascii_, len(make), make), (0x8825, long_, 1, struct.pack("<I", gps_at))],
        ifd1_at,
    )
    gps = _ifd(gps_at, gps_entries, 0)
    ifd1 = _ifd(
        ifd1_at,
        [
            (0x0201, long_, 1, struct.pack("<I", thumb_at)),
            (0x0202, long_, 1, struct.pack("<I", len(thumbnail))),
        ],
        0,
    )
    tiff = b"II*\0" + struct.pack("<I", ifd0_at) + ifd0 + gps + ifd1 + thumbnail
    assert len(ifd0) == ifd0_size and len(gps) == gps_size
    return b"Exif\0\0" + tiff


def gps_photo() -> bytes:
    """A JPEG carrying EXIF with a GPS position and a thumbnail, and an XMP packet."""
    thumb = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 10, 10)).save(thumb, format="JPEG")
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 150)).save(
        out, format="JPEG", exif=_exif_with_gps_and_thumbnail(thumb.getvalue())
    )
    data = out.getvalue()
    xmp = XMP_NS + b"\0" + XMP
    segment = b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp
    return data[:2] + segment + data[2:]


def png_with_chunks() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Lantern refuge, back yard")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (1, 2, 3)).save(
        out, format="PNG", pnginfo=info, exif=exif.tobytes()
    )
    return out.getvalue()


def test_the_photos_built_here_really_carry_what_a_phone_writes():
    with Image.open(io.BytesIO(gps_photo())) as image:
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert gps[ExifTags.GPS.GPSLatitudeRef] == "N"
        assert len(gps[ExifTags.GPS.GPSLongitude]) == 3
        assert "xmp" in image.info
        assert image.getexif().get_ifd(ExifTags.IFD.IFD1)  # the thumbnail's directory
    assert gps_photo().count(b"\xff\xd8\xff") == 2  # the photo and its thumbnail
    assert carries_metadata(gps_photo(), "image/jpeg")
    png = png_with_chunks()
    assert b"tEXt" in png and b"iTXt" in png and b"eXIf" in png
    assert carries_metadata(png, "image/png")


# --- Uploading through the page -------------------------------------------------------------


@pytest.fixture
def people(north):
    south = factories.make_team("South")
    return {
        "cara": factories.caseworker(north, "Cara"),
        "sofia": factories.supervisor(north, "Sofia"),
        "aude": factories.make_user("Aude", role=Role.AUDITOR),
        "sam": factories.caseworker(south, "Sam"),
        "site": factories.make_site(north, kind="refuge"),
    }


def _upload(client, site, data, *, name="photo.jpg", content_type="image/jpeg", **fields):
    form = {
        "file": SimpleUploadedFile(name, data, content_type=content_type),
        "caption": CAPTION,
        "taken_on": timezone.localdate().isoformat(),
        **fields,
    }
    return client.post(reverse("premises:photo_add", args=[site.pk]), form)


def _assert_clean_jpeg(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert "xmp" not in image.info and "exif" not in image.info
    assert b"http://ns.adobe.com/xap" not in data
    assert b"Exif" not in data
    assert b"PhoneMaker" not in data
    assert data.count(b"\xff\xd8\xff") == 1  # no embedded thumbnail
    assert not carries_metadata(data, "image/jpeg")


def test_a_photo_with_gps_is_stored_without_any_of_it(client, people):
    client.force_login(people["cara"])
    response = _upload(client, people["site"], gps_photo())
    assert response.status_code == 302
    photo = SitePhoto.objects.get(site=people["site"])
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 640, 480)
    assert photo.size == len(photo.content)
    _assert_clean_jpeg(photo.content)
    _assert_clean_jpeg(photo.preview)
    with Image.open(io.BytesIO(photo.preview)) as preview:
        assert max(preview.size) <= 480
    factories.assert_changed(photo, AuditEntry.Action.CREATE, people["cara"])


def test_a_png_loses_its_text_xmp_and_exif_chunks(client, people):
    client.force_login(people["cara"])
    assert (
        _upload(
            client, people["site"], png_with_chunks(), name="yard.png", content_type="image/png"
        ).status_code
        == 302
    )
    photo = SitePhoto.objects.get(site=people["site"])
    assert photo.content_type == "image/png"
    with Image.open(io.BytesIO(photo.content)) as image:
        assert image.format == "PNG"
        assert not image.getexif()
        assert not image.info.get("xmp") and "Comment" not in image.info
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf"):
        assert chunk not in photo.content
    assert b"Lantern" not in photo.content
    assert not carries_metadata(photo.content, "image/png")
    _assert_clean_jpeg(photo.preview)


@pytest.mark.parametrize(
    "data", [factories.blank_pdf(), b"Lantern refuge door code 4711\n"], ids=["pdf", "text"]
)
def test_a_file_named_and_typed_as_an_image_is_read_by_its_bytes(client, people, data):
    client.force_login(people["cara"])
    response = _upload(client, people["site"], data, name="door.jpg", content_type="image/jpeg")
    assert response.status_code == 400
    assert "Only JPEG and PNG photos can be attached here." in response.content.decode()
    assert CAPTION in response.content.decode()  # what was typed is kept
    assert not SitePhoto.objects.exists()


def test_a_jpeg_named_pdf_is_taken_as_the_jpeg_it_is(client, people):
    client.force_login(people["cara"])
    response = _upload(
        client, people["site"], gps_photo(), name="scan.pdf", content_type="application/pdf"
    )
    assert response.status_code == 302
    photo = SitePhoto.objects.get()
    assert photo.content_type == "image/jpeg"
    _assert_clean_jpeg(photo.content)


def test_an_oversize_file_is_refused_with_the_limit(client, people, settings):
    settings.DOCUMENT_MAX_BYTES = 20 * 1024
    client.force_login(people["cara"])
    big = gps_photo() + b"\0" * (30 * 1024)
    response = _upload(client, people["site"], big)
    assert response.status_code == 400
    assert "the limit is 20 KB" in response.content.decode()
    assert not SitePhoto.objects.exists()


def test_a_date_in_the_future_is_refused(client, people):
    client.force_login(people["cara"])
    tomorrow = timezone.localdate() + timezone.timedelta(days=1)
    response = _upload(client, people["site"], gps_photo(), taken_on=tomorrow.isoformat())
    assert response.status_code == 400
    assert "in the future" in response.content.decode()
    with pytest.raises(Exception, match="future"):
        services.photo_add(
            actor=people["cara"],
            site=people["site"],
            data=gps_photo(),
            caption="x",
            taken_on=tomorrow,
        )


def test_the_caption_is_not_in_the_database_in_plaintext(client, people):
    client.force_login(people["cara"])
    _upload(client, people["site"], gps_photo())
    assert SitePhoto.objects.get().caption == CAPTION
    assert CAPTION.encode() not in factories.raw_database_bytes()


# --- Gallery, preview, download ------------------------------------------------------------


def test_the_gallery_shows_previews_and_is_audited(client, people, django_assert_max_num_queries):
    site, cara = people["site"], people["cara"]
    photos = [factories.make_photo(site, cara, caption=f"Camera {n}") for n in range(8)]
    client.force_login(cara)
    since = factories.audit_mark()
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("premises:photos", args=[site.pk]))
    photos += [factories.make_photo(site, cara, caption=f"Door {n}") for n in range(8)]
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("premises:photos", args=[site.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for photo in photos:
        assert reverse("premises:photo_preview", args=[site.pk, photo.pk]) in page
    assert "Remove" not in page  # a caseworker does not remove photos
    factories.assert_accessed(site, "view", cara, since=since)


def test_a_preview_is_private_and_not_sniffed(client, people):
    photo = factories.make_photo(people["site"], people["cara"])
    client.force_login(people["cara"])
    since = factories.audit_mark()
    response = client.get(reverse("premises:photo_preview", args=[people["site"].pk, photo.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == photo.preview
    factories.assert_accessed(photo, "view", people["cara"], since=since, preview=True)


def test_the_full_image_downloads_with_a_neutral_name(client, people):
    client.force_login(people["cara"])
    _upload(client, people["site"], gps_photo(), name="Lantern refuge back door.jpg")
    photo = SitePhoto.objects.get()
    since = factories.audit_mark()
    response = client.get(reverse("premises:photo_download", args=[people["site"].pk, photo.pk]))
    assert response.status_code == 200
    assert f'filename="photo-{photo.pk}.jpg"' in response["Content-Disposition"]
    assert "Lantern" not in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    factories.assert_accessed(photo, "download", people["cara"], since=since)


def test_a_quarantined_photo_shows_why_instead_of_the_file(client, people):
    photo = factories.make_photo(people["site"], people["cara"])
    services.photo_quarantine(photo=photo, reason=Refusal.DAMAGED)
    client.force_login(people["cara"])
    url = reverse("premises:photo_download", args=[people["site"].pk, photo.pk])
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("premises:photos", args=[people["site"].pk])
    assert "was set aside" in response.content.decode()
    assert "the image is damaged" in response.content.decode()
    preview = reverse("premises:photo_preview", args=[people["site"].pk, photo.pk])
    assert client.get(preview).status_code == 404


def test_recheck_files_covers_photos(people):
    site, cara = people["site"], people["cara"]
    old = factories.make_photo(site, cara)
    # Stored before the re-encoding existed: the camera's metadata is still in the file.
    old.content = gps_photo()
    old.save(update_fields=["content"])
    bad = factories.make_photo(site, cara)
    bad.content = b"\xff\xd8\xff\xe0 damaged"
    bad.save(update_fields=["content"])
    out = io.StringIO()
    call_command(
        "recheck_files", "--quarantine", "--reencode-images", stdout=out, stderr=io.StringIO()
    )
    report = out.getvalue()
    assert f"photo {old.pk}: image re-encoded" in report
    assert f"photo {bad.pk}: quarantined (damaged)" in report
    old.refresh_from_db()
    _assert_clean_jpeg(old.content)
    _assert_clean_jpeg(old.preview)
    bad.refresh_from_db()
    assert bad.quarantined_at is not None and bad.quarantine_reason == "damaged"


# --- Removal, auditors, other teams --------------------------------------------------------


def test_only_a_supervisor_of_the_team_removes_a_photo(client, people):
    site = people["site"]
    photo = factories.make_photo(site, people["cara"])
    url = reverse("premises:photo_remove", args=[site.pk, photo.pk])
    client.force_login(people["cara"])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    with pytest.raises(MaySeeNotChange):
        services.photo_remove(actor=people["cara"], photo=photo)
    client.force_login(people["sofia"])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Remove the photo" in confirm.content.decode()
    assert SitePhoto.objects.filter(pk=photo.pk).exists()  # a GET removes nothing
    assert client.post(url).status_code == 302
    assert not SitePhoto.objects.filter(pk=photo.pk).exists()
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.DELETE, object_pk=str(photo.pk), actor=people["sofia"]
    ).exists()


def test_the_gallery_offers_removal_to_the_supervisor(client, people):
    factories.make_photo(people["site"], people["cara"])
    client.force_login(people["sofia"])
    assert (
        "Remove"
        in client.get(reverse("premises:photos", args=[people["site"].pk])).content.decode()
    )


def test_an_auditor_sees_and_downloads_photos_read_only(client, people):
    site = people["site"]
    photo = factories.make_photo(site, people["cara"])
    client.force_login(people["aude"])
    page = client.get(reverse("premises:photos", args=[site.pk]))
    assert page.status_code == 200
    assert "Add a photo" not in page.content.decode() and "Remove" not in page.content.decode()
    assert (
        client.get(reverse("premises:photo_download", args=[site.pk, photo.pk])).status_code == 200
    )
    assert (
        client.get(reverse("premises:photo_preview", args=[site.pk, photo.pk])).status_code == 200
    )
    assert client.get(reverse("premises:photo_add", args=[site.pk])).status_code == 403
    assert _upload(client, site, gps_photo()).status_code == 403
    assert (
        client.post(reverse("premises:photo_remove", args=[site.pk, photo.pk])).status_code == 403
    )
    assert SitePhoto.objects.count() == 1


def test_another_team_gets_404_everywhere(client, people):
    site = people["site"]
    photo = factories.make_photo(site, people["cara"])
    client.force_login(people["sam"])
    for name, args in [
        ("premises:photos", [site.pk]),
        ("premises:photo_add", [site.pk]),
        ("premises:photo_preview", [site.pk, photo.pk]),
        ("premises:photo_download", [site.pk, photo.pk]),
        ("premises:photo_remove", [site.pk, photo.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    assert _upload(client, site, gps_photo()).status_code == 404


def test_a_photo_named_under_another_site_is_not_there(client, people, north):
    other = factories.make_site(north)
    photo = factories.make_photo(other, people["cara"])
    client.force_login(people["cara"])
    url = reverse("premises:photo_download", args=[people["site"].pk, photo.pk])
    assert client.get(url).status_code == 404


# --- The site's panel ----------------------------------------------------------------------


def test_the_panel_shows_six_previews_in_constant_queries(people, django_assert_max_num_queries):
    from premises.models import Site

    site, cara = people["site"], people["cara"]
    for n in range(9):
        factories.make_photo(site, cara, caption=f"View {n}")
    plan = factories.make_escape_plan(site, people["sofia"])
    factories.make_drill(site, cara)
    annotated = Site.objects.visible_to(cara).get(pk=site.pk)
    with django_assert_max_num_queries(10):
        panel = site_panel(annotated, cara)["evidence"]
    assert len(panel["photos"]) == 6 and panel["more_photos"]
    assert panel["plan"] == plan and panel["can_read"]
    assert (panel["share"].readers, panel["share"].staff) == (0, 2)
    assert panel["last_drill"] is not None
    for _n in range(5):
        factories.make_drill(site, cara)
        factories.make_escape_plan(site, cara, approved=False)
    with django_assert_max_num_queries(10):
        site_panel(annotated, cara)


def test_the_panel_renders(people, rf):
    from django.template.loader import render_to_string

    from premises.models import Site

    site, cara = people["site"], people["cara"]
    factories.make_photo(site, cara, caption="The entry phone")
    factories.make_escape_plan(site, people["sofia"])
    annotated = Site.objects.visible_to(cara).get(pk=site.pk)
    request = rf.get("/")
    request.user = cara
    html = render_to_string(
        "premises/_site_evidence.html", {"site": annotated, **site_panel(annotated, cara)}, request
    )
    assert "The entry phone" in html
    assert "0 of 2 staff (0%)" in html
    assert "Record that I have read it" in html
    aude = people["aude"]
    seen = Site.objects.visible_to(aude).get(pk=site.pk)
    request.user = aude
    html = render_to_string(
        "premises/_site_evidence.html", {"site": seen, **site_panel(seen, aude)}, request
    )
    assert "Record that I have read it" not in html and "Add a photo" not in html


def test_a_refuges_caption_naming_where_it_is_is_refused(client, people):
    """The refuge is at 12 Lantern Row, Harbourside (factories.REFUGE_ADDRESS)."""
    site, cara = people["site"], people["cara"]
    with pytest.raises(ValidationError) as refused:
        services.photo_add(
            actor=cara,
            site=site,
            data=factories.small_image(),
            caption="The front door on Lantern Row",
            taken_on=timezone.localdate(),
        )
    assert refused.value.message_dict["caption"] == [
        "The caption names part of the site's address: \"Lantern Row\". A refuge's evidence "
        "is read by auditors: describe it without saying where it is."
    ]
    client.force_login(cara)
    response = _upload(client, site, factories.small_image(), caption="Seen from 14 Mill Lane")
    assert response.status_code == 400
    body = response.content.decode()
    assert "The caption names a street address: &quot;14 Mill Lane&quot;." in body
    assert 'value="Seen from 14 Mill Lane"' in body  # what was typed, kept
    assert not SitePhoto.objects.exists()
    # An office's photo may say where it was taken.
    office = factories.make_site(cara.teams.get(), kind="office")
    services.photo_add(
        actor=cara,
        site=office,
        data=factories.small_image(),
        caption="Seen from 14 Mill Lane",
        taken_on=timezone.localdate(),
    )
