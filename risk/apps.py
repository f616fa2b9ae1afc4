from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Risk instruments, assessments, safety plans and training records (issue 4)."""

    name = "risk"
    verbose_name = "Risk"
    default_auto_field = "django.db.models.BigAutoField"
