from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataProtectionConfig(AppConfig):
    """Requests from people and their copy, retention and erasure, the record of processing
    and the breach register: the data-protection officer's work."""

    name = "dataprotection"
    verbose_name = _("Data protection")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dataprotection import models
        from victimsupport.audit.services import register

        for model in (
            models.AccessRequest,
            models.RequestCase,
            models.Redaction,
            models.Withholding,
            models.CopyStep,
            models.Delivery,
            models.RetentionRule,
            models.LegalHold,
            models.Erasure,
            models.ProcessingActivity,
            models.Breach,
            models.BreachNotice,
        ):
            register(model)

        from dataprotection.casefile import CONTRIBUTOR
        from dataprotection.copy import render_copy_job
        from victimsupport import casefile, pdfjobs

        casefile.register(CONTRIBUTOR)
        pdfjobs.register(models.CopyJob, render=render_copy_job)
