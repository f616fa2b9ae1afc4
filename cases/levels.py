"""The risk level: one definition for the case, its assessments, the scoring engine and the
dashboards. It lives here, with no model, so that the risk engine can read its values and stay
pure functions over data."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RiskLevel(models.TextChoices):
    # Declared from lowest to highest: the engine ranks levels in this order.
    UNKNOWN = "unknown", _("Not yet assessed")
    STANDARD = "standard", _("Standard")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


# The levels an assessment can reach (a case is "unknown" until its first one is finalised).
ASSESSED = [RiskLevel.STANDARD, RiskLevel.MEDIUM, RiskLevel.HIGH]
ASSESSED_VALUES = [level.value for level in ASSESSED]
ASSESSED_CHOICES = [(level.value, level.label) for level in ASSESSED]
