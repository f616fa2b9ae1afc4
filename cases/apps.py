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
        register(models.CaseUserObjectPermission)
        register(models.CaseGroupObjectPermission)

        from cases.documents import STORED_DOCUMENTS
        from victimsupport.stored_files import register_stored_files

        register_stored_files(STORED_DOCUMENTS)

        from cases.casefile import CONTRIBUTOR
        from victimsupport import casefile

        casefile.register(CONTRIBUTOR)

        from cases import exports
        from victimsupport import pdfjobs

        # Large case files are background documents (audited there: status changes, not
        # the progress ticks between them).
        pdfjobs.register(models.ExportJob, render=exports.render_job)
