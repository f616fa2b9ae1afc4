from django.apps import AppConfig


class PremisesConfig(AppConfig):
    """Sites, security checklists, photos, escape plans and drills."""

    name = "premises"
    verbose_name = "Premises"
    default_auto_field = "django.db.models.BigAutoField"
