"""The supervisors' risk dashboard: every tile one query over the teams' cases."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cases.levels import ASSESSED_CHOICES, ASSESSED_VALUES, RiskLevel
from cases.models import BreakGlassAccess, Case, DuplicateMatch
from risk.models import Assessment, SafetyAction
from victimsupport.accounts.models import User

TREND_WEEKS = 12
OVERRIDE_DAYS = 90
BREAK_GLASS_DAYS = 30
REFUSAL_DAYS = 7


def team_cases(user: Any) -> QuerySet[Case]:
    return Case.objects.visible_to(user).filter(team__in=user.teams.all())


def _since(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


# Each drill-down: (title, what it lists, queryset builder).
def high_without_plan(cases: QuerySet[Case]) -> QuerySet[Case]:
    """High, open, and no plan with anything to do (an empty plan protects no one)."""
    actions = SafetyAction.objects.filter(plan__case=OuterRef("pk")).exclude(
        status=SafetyAction.Status.CANCELLED
    )
    return cases.filter(risk_level=RiskLevel.HIGH, status=Case.Status.OPEN).exclude(Exists(actions))


def overdue_reviews(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.filter(review_due__lte=timezone.localdate(), status=Case.Status.OPEN)


def new_high(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Open cases high now that became high this week (no high assessment before it).

    Both tests are correlated to the case (EXISTS, NOT EXISTS), so each looks up only that
    case's assessments by index: a ``NOT IN`` the set of every case ever assessed high read
    that set over the whole organisation for every supervisor's page."""
    week = _since(7)
    high = Assessment.objects.filter(
        case=OuterRef("pk"), status=Assessment.Status.FINAL, level=RiskLevel.HIGH
    )
    return cases.filter(
        Exists(high.filter(finalised_at__gte=week)),
        ~Exists(high.filter(finalised_at__lt=week)),
        risk_level=RiskLevel.HIGH,
        status=Case.Status.OPEN,
    )


def overdue_actions(cases: QuerySet[Case]) -> QuerySet[SafetyAction]:
    return SafetyAction.objects.filter(
        plan__case__in=cases.values("pk"),
        status=SafetyAction.Status.OPEN,
        due_on__lt=timezone.localdate(),
    )


def overrides(cases: QuerySet[Case]) -> QuerySet[Assessment]:
    return Assessment.objects.filter(
        case__in=cases.values("pk"),
        status=Assessment.Status.FINAL,
        finalised_at__gte=_since(OVERRIDE_DAYS),
    ).exclude(level=F("computed_level"))


def drafts_waiting(cases: QuerySet[Case]) -> QuerySet[Assessment]:
    """Draft assessments: started, perhaps by someone not yet trained, to be finalised."""
    return Assessment.objects.filter(case__in=cases.values("pk"), status=Assessment.Status.DRAFT)


def drafts_count(cases: QuerySet[Case]) -> int:
    """How many ``drafts_waiting``: each case's drafts counted by its own (case, status)
    lookup and summed. Counted as ``case IN (the teams' cases)``, the planner read every
    team's drafts and kept those of these cases (drafts are few for the size of the table,
    so their whole index looked cheap), which grows with the organisation; a subquery in
    the SELECT list is run once per case of the teams, never turned into a join."""
    per_case = (
        Assessment.objects.filter(case=OuterRef("pk"), status=Assessment.Status.DRAFT)
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    total = cases.order_by().aggregate(n=Sum(Subquery(per_case, output_field=IntegerField())))
    return total["n"] or 0


def break_glass(user: Any) -> QuerySet[BreakGlassAccess]:
    """Emergency accesses into the supervisor's teams' cases, and their own."""
    return BreakGlassAccess.objects.filter(
        Q(case__team__in=user.teams.all()) | Q(user=user), created_at__gte=_since(BREAK_GLASS_DAYS)
    )


TITLES = {
    "high-without-plan": _("High-risk cases without a safety plan"),
    "overdue-reviews": _("Risk reviews due or overdue"),
    "new-high": _("New high-risk cases this week"),
    "overdue-actions": _("Overdue safety-plan actions"),
    "overrides": format_lazy(
        _("Levels changed by judgement (last {days} days)"), days=OVERRIDE_DAYS
    ),
    "drafts": _("Assessments waiting to be finalised"),
    "break-glass": format_lazy(_("Emergency accesses (last {days} days)"), days=BREAK_GLASS_DAYS),
}


@dataclass(frozen=True)
class Tile:
    key: str
    title: str
    count: int
    urgent: bool


def tiles(user: Any) -> tuple[dict[str, int], list[Tile]]:
    cases = team_cases(user)
    by_level = dict(
        cases.filter(status=Case.Status.OPEN)
        .values_list("risk_level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {
        "high-without-plan": high_without_plan(cases).count(),
        "overdue-reviews": overdue_reviews(cases).count(),
        "new-high": new_high(cases).count(),
        "overdue-actions": overdue_actions(cases).count(),
        "overrides": overrides(cases).count(),
        "drafts": drafts_count(cases),
        "break-glass": break_glass(user).count(),
    }
    titles = TITLES
    urgent = {"high-without-plan", "overdue-reviews", "overdue-actions"}
    return by_level, [Tile(k, titles[k], v, k in urgent and v > 0) for k, v in counts.items()]


def trend(user: Any) -> list[dict[str, Any]]:
    """Finalised assessments per week and level over the last weeks, oldest first."""
    start = timezone.localdate() - datetime.timedelta(weeks=TREND_WEEKS - 1)
    start -= datetime.timedelta(days=start.weekday())
    # From the first week's first moment, not finalised_at__date: a range on the column is
    # read from the (case, status, finalised_at) index, a date cast of it is not.
    since = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    rows = (
        Assessment.objects.filter(
            case__in=team_cases(user).values("pk"),
            status=Assessment.Status.FINAL,
            finalised_at__gte=since,
        )
        .annotate(week=TruncWeek("finalised_at"))
        .values_list("week", "level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[tuple[datetime.date, str], int] = {}
    for week, level, n in rows:
        day = week.date() if isinstance(week, datetime.datetime) else week
        counts[(day, level)] = counts.get((day, level), 0) + n
    weeks = [start + datetime.timedelta(weeks=i) for i in range(TREND_WEEKS)]
    return [
        {"week": w, **{level: counts.get((w, level), 0) for level in ASSESSED_VALUES}}
        for w in weeks
    ]


DRILLDOWNS = {
    "high-without-plan": ("cases", lambda user: high_without_plan(team_cases(user))),
    "overdue-reviews": ("cases", lambda user: overdue_reviews(team_cases(user))),
    "new-high": ("cases", lambda user: new_high(team_cases(user))),
    "overdue-actions": ("actions", lambda user: overdue_actions(team_cases(user))),
    "overrides": ("assessments", lambda user: overrides(team_cases(user))),
    "drafts": ("assessments", lambda user: drafts_waiting(team_cases(user))),
    "break-glass": ("accesses", lambda user: break_glass(user)),
    **{
        f"level-{level}": (
            "cases",
            (
                lambda lv: (
                    lambda user: team_cases(user).filter(risk_level=lv, status=Case.Status.OPEN)
                )
            )(level),
        )
        for level in RiskLevel.values
    },
}


def trend_bars(weeks: list[dict[str, Any]], *, height: int = 100) -> list[dict[str, Any]]:
    """Stacked bar geometry for the trend chart (SVG units: 10 wide per week)."""
    labels = dict(ASSESSED_CHOICES)
    peak = max([sum(w[level] for level in ASSESSED_VALUES) for w in weeks] + [1])
    bars = []
    for index, week in enumerate(weeks):
        y = height
        segments = []
        for level in ASSESSED_VALUES:
            h = round(week[level] * (height - 10) / peak, 2)
            y = round(y - h, 2)
            if week[level]:
                segments.append(
                    {
                        "level": level,
                        "label": labels[level],
                        "y": y,
                        "height": h,
                        "count": week[level],
                    }
                )
        bars.append({"x": index * 10 + 1, "segments": segments, "week": week["week"]})
    return bars


# Possible duplicates: matches of a new intake elsewhere against a case of the supervisor's
# teams, which the caseworker who took it could not be shown (cases/duplicates.py).
DUPLICATES_SHOWN = 20


def open_duplicate_matches(user: Any) -> QuerySet[DuplicateMatch]:
    """Oldest first: the longer a person has two files, the likelier two services act
    without knowing of each other."""
    return (
        DuplicateMatch.objects.visible_to(user)
        .filter(status=DuplicateMatch.Status.OPEN)
        .select_related("existing_case", "new_case__team", "found_by")
        .order_by("found_at", "pk")
    )


def repeated_refusals(user: Any) -> QuerySet[User]:
    """Members of the supervisor's teams refused access to case files again and again, and
    staff in no team at all (auditors, data-protection officers, administrators), whom no
    team's supervisor would otherwise see.

    Not other teams' staff: a supervisor must not learn how other teams' people work. One
    query whatever the number of people or refusals; ``refused`` and ``last_refused`` are
    annotated on each person.
    """
    staff = User.objects.filter(teams__in=user.teams.all()).values("pk")
    teamless = User.objects.filter(teams__isnull=True).values("pk")
    return (
        User.objects.filter(
            # Subqueries, so that someone in two of the teams is counted once.
            Q(pk__in=staff) | Q(pk__in=teamless),
            refusal_counts__window_start__gte=_since(REFUSAL_DAYS),
        )
        .annotate(refused=Sum("refusal_counts__count"), last_refused=Max("refusal_counts__last_at"))
        .filter(refused__gte=settings.REFUSED_ACCESS_THRESHOLD)
        .order_by("-refused", "-last_refused")
    )
