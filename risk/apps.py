from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Risk instruments, assessments, reassessment triggers and training on risk assessment."""

    name = "risk"
    verbose_name = "Risk"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from risk import models
        from victimsupport.audit.services import register

        for model in (
            models.Instrument,
            models.InstrumentVersion,
            models.Assessment,
            models.ReassessmentTrigger,
            models.TrainingRecord,
            models.SafetyPlan,
            models.SafetyAction,
        ):
            register(model)

        from risk.certificates import STORED_CERTIFICATES
        from victimsupport.stored_files import register_stored_files

        register_stored_files(STORED_CERTIFICATES)

        from risk.casefile import CONTRIBUTOR
        from victimsupport import casefile

        casefile.register(CONTRIBUTOR)
