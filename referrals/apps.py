from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """Partner organisations, network agreements and referrals with consent."""

    name = "referrals"
    verbose_name = "Referrals"
    default_auto_field = "django.db.models.BigAutoField"
