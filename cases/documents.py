"""Case documents: the checks every upload gets are in the core (victimsupport.files); what is
particular to a case document, its neutral download name, is here."""

from __future__ import annotations

from victimsupport.files import EXTENSIONS, check_upload_size

# The views of cases and risk import these from here.
__all__ = ["EXTENSIONS", "check_upload_size", "neutral_filename"]


def neutral_filename(document_id: int, content_type: str) -> str:
    """Downloads are named by number: original names often carry the person's name, and a
    shared computer's downloads folder is read by others."""
    return f"document-{document_id}.{EXTENSIONS.get(content_type, 'bin')}"
