from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    """Partner organisations, network agreements and referrals with consent."""

    name = "referrals"
    verbose_name = _("Referrals")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from referrals import models
        from victimsupport.audit.services import register

        for model in (
            models.PartnerOrganisation,
            models.PartnerMembership,
            models.Agreement,
            models.Meeting,
            models.SharingConsent,
            models.Referral,
            models.ProtectedPackage,
        ):
            register(model)

        from referrals.casefile import CONSENTS
        from referrals.casefile_referrals import CONTRIBUTOR as REFERRALS
        from victimsupport import casefile

        casefile.register(CONSENTS)
        casefile.register(REFERRALS)
