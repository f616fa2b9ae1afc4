from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cases import models
        from victimsupport.audit.services import register

        register(models.Case)
        register(models.BreakGlassAccess)
        register(models.CaseUserObjectPermission)
        register(models.CaseGroupObjectPermission)
