"""The person's copy of their file: the projection, every category, redactions applied.

(Owned by the copy helper: this first version renders the projection with no redaction yet.)
"""

from __future__ import annotations

from typing import Any

from victimsupport import pdfjobs


def render_copy_job(job: Any, request: Any) -> pdfjobs.Document:
    raise NotImplementedError("The copy is not built yet.")
