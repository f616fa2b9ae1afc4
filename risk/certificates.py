"""How ``manage.py recheck_files`` reaches the stored training certificates (registered in
RiskConfig.ready)."""

from __future__ import annotations

from risk import services
from risk.models import TrainingRecord
from victimsupport.stored_files import Refusal, StoredFiles


def _certificate_ids() -> list[int]:
    return list(
        TrainingRecord.objects.filter(
            certificate__isnull=False, certificate_quarantined_at__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _load_certificate(pk: int) -> tuple[str, bytes] | None:
    row = (
        TrainingRecord.objects.filter(pk=pk).values_list("certificate_type", "certificate").first()
    )
    if row is None or not row[1]:
        return None
    return row[0], row[1]


def _quarantine_certificate(pk: int, reason: Refusal) -> None:
    record = TrainingRecord.objects.get(pk=pk)
    services.training_certificate_quarantine(record=record, reason=reason)


def _reencode_certificate(pk: int, data: bytes) -> None:
    record = TrainingRecord.objects.get(pk=pk)
    services.training_certificate_reencode(record=record, data=data)


STORED_CERTIFICATES = StoredFiles(
    kind="certificate",
    ids=_certificate_ids,
    load=_load_certificate,
    quarantine=_quarantine_certificate,
    replace=_reencode_certificate,
)
