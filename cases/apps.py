from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cases import models
        from victimsupport.audit.services import register

        for model in (
            models.Case,
            models.BreakGlassAccess,
            models.ConfidentialityNotice,
            models.IntakeDraft,
            models.Victim,
            models.ThirdParty,
            models.ContactPreference,
            models.NoticeAcknowledgement,
            models.RiskScreen,
            models.NeedsRecord,
            models.Consent,
            models.Note,
            models.ContactLog,
            models.StatusChange,
            models.Document,
            models.DuplicateMatch,
        ):
            register(model)
        # Status changes are logged; the progress ticks between them are not.
        register(models.ExportJob, exclude_fields=["progress", "stage"])
        register(models.CaseUserObjectPermission)
        register(models.CaseGroupObjectPermission)

        from cases.documents import STORED_DOCUMENTS
        from victimsupport.stored_files import register_stored_files

        register_stored_files(STORED_DOCUMENTS)

        from cases.casefile import CONTRIBUTOR
        from victimsupport import casefile

        casefile.register(CONTRIBUTOR)
