from django.apps import AppConfig


class TestAppConfig(AppConfig):
    name = "tests.testapp"
    label = "testapp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tests.testapp import models
        from victimsupport.audit.services import register

        for model in (
            models.Secret,
            models.Organisation,
            models.Handover,
            models.Person,
            models.PseudonymousPerson,
            models.Site,
        ):
            register(model)

        from tests.testapp import reports
        from victimsupport import pdfjobs

        pdfjobs.register(models.SiteReportJob, render=reports.render_report)
