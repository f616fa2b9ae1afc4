from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PremisesConfig(AppConfig):
    """Sites, security checklists and assessments, photos, escape plans, drills, premises
    incidents, and the page that tells victims what the service does to keep them safe."""

    name = "premises"
    verbose_name = _("Premises")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from premises import models
        from victimsupport.audit.services import register

        for model in (
            models.Site,
            models.ChecklistTemplate,
            models.ChecklistVersion,
            models.SecurityAssessment,
            models.Finding,
            models.SiteAction,
            models.SitePhoto,
            models.EscapePlan,
            models.EscapePlanReading,
            models.Drill,
            models.PremisesIncident,
            models.SafetyPage,
            models.SensitiveTerm,
        ):
            register(model)
        # --- evidence: photos and floor plans are rechecked by manage.py recheck_files ---
        from premises.files import STORED_FLOOR_PLANS, STORED_PHOTOS
        from victimsupport.stored_files import register_stored_files

        register_stored_files(STORED_PHOTOS)
        register_stored_files(STORED_FLOOR_PLANS)
        # --- end of evidence ---
