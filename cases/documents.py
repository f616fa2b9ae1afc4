"""Checking uploads and removing what images say about where and when they were taken."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

# What a caseworker may attach, by content type, with the file's own signature checked.
ALLOWED_TYPES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "text/plain": (),
}
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "text/plain": "txt",
}
# A phone photo is 12 to 50 megapixels; more than this is refused rather than decoded (a small
# file can claim enormous dimensions and exhaust the server's memory).
MAX_IMAGE_PIXELS = 60_000_000


def check_upload_size(size: int) -> None:
    limit = settings.DOCUMENT_MAX_BYTES
    if size > limit:
        raise ValidationError(f"The file is {size // 1024} KB; the limit is {limit // 1024} KB.")


def neutral_filename(document_id: int, content_type: str) -> str:
    """Downloads are named by number: original names often carry the person's name, and a
    shared computer's downloads folder is read by others."""
    return f"document-{document_id}.{EXTENSIONS.get(content_type, 'bin')}"


def check_upload(*, name: str, content_type: str, data: bytes) -> None:
    if not data:
        raise ValidationError("The file is empty.")
    check_upload_size(len(data))
    if content_type not in ALLOWED_TYPES:
        raise ValidationError("Only PDF, JPEG, PNG and plain-text files can be attached.")
    signatures = ALLOWED_TYPES[content_type]
    if signatures and not data.startswith(signatures):
        raise ValidationError("The file's contents do not match its type.")
    if content_type == "text/plain":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError("Plain-text files must be UTF-8 text.") from exc


def strip_image_metadata(data: bytes, content_type: str) -> bytes:
    """Re-encode the pixels only: EXIF (including GPS position), XMP and comments are dropped.

    Phone photos record where they were taken; a refuge's address must not travel in a file.
    """
    fmt = IMAGE_FORMATS.get(content_type)
    if fmt is None:
        return data
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ValidationError(
                    f"The image is {width} by {height} pixels; the limit is "
                    f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels."
                )
            image.load()
            # Apply the orientation the EXIF data asked for before dropping it.
            image = ImageOps.exif_transpose(image)
            if fmt == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            elif image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA")
            # A new image from the raw pixels carries no metadata at all.
            clean = Image.frombytes(image.mode, image.size, image.tobytes())
            out = io.BytesIO()
            options = {"quality": 90} if fmt == "JPEG" else {}
            clean.save(out, format=fmt, **options)
            return out.getvalue()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise ValidationError("The image could not be read. Is the file damaged?") from exc
