"""The person's copy of their file: the projection, every category, redactions applied.

Two renderings, both made by the background worker (``CopyJob``):

- the draft, for the preparer and the reviewer: the items frozen in ``item_keys``, suggested
  and applied redactions shown (``draft_document``, the copy helper's part);
- the final copy: exactly the HTML signed off (``AccessRequest.approved_html``), protected
  with the delivery's passphrase (AES-256). Nothing is gathered again: what the reviewer read
  is what the person gets.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from victimsupport import pdfjobs

FINAL_TEMPLATE = "dataprotection/copy_final_pdf.html"


def final_document(request: Any) -> pdfjobs.Document:
    """The final copy: the signed-off HTML, under the delivery's passphrase."""
    if not request.approved_html:
        raise ValueError("The copy has not been signed off.")
    delivery = request.delivery  # made before the final job is asked for
    return pdfjobs.Document(
        FINAL_TEMPLATE,
        {"copy_html": request.approved_html},
        title=_("Your file"),
        password=delivery.passphrase,
    )


def draft_document(request: Any) -> pdfjobs.Document:
    raise NotImplementedError("The draft copy is not built yet.")


def render_copy_job(job: Any, request: Any) -> pdfjobs.Document:
    """What the worker renders for a copy job (registered in DataProtectionConfig.ready)."""
    return final_document(request) if job.final else draft_document(request)
