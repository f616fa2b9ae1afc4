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


def check_upload(*, name: str, content_type: str, data: bytes) -> None:
    limit = settings.DOCUMENT_MAX_BYTES
    if not data:
        raise ValidationError("The file is empty.")
    if len(data) > limit:
        raise ValidationError(
            f"The file is {len(data) // 1024} KB; the limit is {limit // 1024} KB."
        )
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
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ValidationError("The image could not be read. Is the file damaged?") from exc
