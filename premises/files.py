"""The files of the premises app: photos of the premises and escape plans' floor plans. The
checks every upload gets are in the core (``victimsupport.files``); what is particular here is
their neutral download names and how ``manage.py recheck_files`` reaches the stored ones
(registered in PremisesConfig.ready)."""

from __future__ import annotations

from premises.models import EscapePlan, SitePhoto
from premises.services import evidence as services
from victimsupport.files import EXTENSIONS, strip_pdf_metadata
from victimsupport.stored_files import Refusal, StoredFiles


def photo_filename(photo: SitePhoto) -> str:
    """Named by number: a caption or an original name can place a refuge."""
    return f"photo-{photo.pk}.{EXTENSIONS.get(photo.content_type, 'bin')}"


def floor_plan_filename(plan: EscapePlan) -> str:
    return f"floor-plan-{plan.pk}.{EXTENSIONS.get(plan.floor_plan_type, 'bin')}"


def _photo_ids() -> list[int]:
    return list(
        SitePhoto.objects.filter(quarantined_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _load_photo(pk: int) -> tuple[str, bytes] | None:
    row = SitePhoto.objects.filter(pk=pk).values_list("content_type", "content").first()
    return None if row is None else (row[0], row[1])


def _quarantine_photo(pk: int, reason: Refusal) -> None:
    services.photo_quarantine(photo=SitePhoto.objects.get(pk=pk), reason=reason)


def _reencode_photo(pk: int, data: bytes) -> None:
    services.photo_reencode(photo=SitePhoto.objects.get(pk=pk), data=data)


def _floor_plan_ids() -> list[int]:
    return list(
        EscapePlan.objects.filter(quarantined_at__isnull=True, floor_plan_size__gt=0)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _load_floor_plan(pk: int) -> tuple[str, bytes] | None:
    row = EscapePlan.objects.filter(pk=pk).values_list("floor_plan_type", "floor_plan").first()
    if row is None or not row[1]:
        return None
    return row[0], row[1]


def _quarantine_floor_plan(pk: int, reason: Refusal) -> None:
    services.floor_plan_quarantine(plan=EscapePlan.objects.get(pk=pk), reason=reason)


def _reencode_floor_plan(pk: int, data: bytes) -> None:
    services.floor_plan_reencode(plan=EscapePlan.objects.get(pk=pk), data=data)


def _clean_floor_plan(content_type: str, data: bytes) -> bytes:
    """What an upload stores of a floor plan beyond the core's checks: a PDF without its
    metadata, outline and annotations (a refuge's floor plan may be titled with its address).
    One stored before that is rewritten by ``recheck_files --reencode-images``."""
    if content_type == "application/pdf":
        return strip_pdf_metadata(data)
    return data


STORED_PHOTOS = StoredFiles(
    kind="photo",
    ids=_photo_ids,
    load=_load_photo,
    quarantine=_quarantine_photo,
    replace=_reencode_photo,
)
STORED_FLOOR_PLANS = StoredFiles(
    kind="floor plan",
    ids=_floor_plan_ids,
    load=_load_floor_plan,
    quarantine=_quarantine_floor_plan,
    replace=_reencode_floor_plan,
    clean=_clean_floor_plan,
)
