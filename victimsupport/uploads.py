"""Uploads are held in memory and never written to disk, and nothing past the size limit is
kept.

Django's default handlers spool a large upload to a temporary file: that file would hold a
victim's document unencrypted on the server's disk, outside every control of the app. This
handler replaces them (FILE_UPLOAD_HANDLERS). A file over DOCUMENT_MAX_BYTES is read to its end
but not kept: it reaches the view with its real size and no content, so the view's size check
refuses it with the usual message, and no byte of it was stored anywhere.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class BoundedMemoryUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.too_large or start + len(raw_data) > settings.DOCUMENT_MAX_BYTES:
            self.too_large = True
            self.buffer = io.BytesIO()  # drop what was kept; count the rest only
            return None
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,  # the real size, so the size check can say how large it was
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
