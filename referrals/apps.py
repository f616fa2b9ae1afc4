from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """Partner organisations, network agreements and referrals with consent."""

    name = "referrals"
    verbose_name = "Referrals"
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
