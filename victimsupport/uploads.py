"""Uploads are held in memory and never written to disk, and nothing past the size limit is
kept.

Django's default handlers spool a large upload to a temporary file: that file would hold a
victim's document unencrypted on the server's disk, outside every control of the app. This
handler replaces them (FILE_UPLOAD_HANDLERS). A file over DOCUMENT_MAX_BYTES is read to its end
but not kept: it reaches the view with its real size and no content, so the view's size check
refuses it with the usual message, and no byte of it was stored anywhere.

The limit holds for the whole request, not for each file: Django accepts up to 100 file parts
in one request (DATA_UPLOAD_MAX_NUMBER_FILES), which would otherwise keep 100 times the limit in
memory. Every form takes one file, so once a request's files reach the limit, later ones are
counted and not kept, like an oversized one.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class BoundedMemoryUploadHandler(FileUploadHandler):
    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.kept_before = 0  # bytes kept for the request's earlier files (one handler a request)

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        end = self.kept_before + start + len(raw_data)
        if self.too_large or end > settings.DOCUMENT_MAX_BYTES:
            self.too_large = True
            self.buffer = io.BytesIO()  # drop what was kept; count the rest only
            return None
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        if not self.too_large:
            self.kept_before += file_size
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
