"""Reads of the referral network: the directory's list and the supervisor's network dashboard.

Every figure is aggregated in the database (one query per table, whatever the number of
referrals or partners); Python only arranges the aggregated rows into a table.
"""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from referrals.models import Agreement, Meeting, PartnerOrganisation, Referral

# An agreement ending within this many days shows as expiring (and on the dashboard).
EXPIRING_DAYS = 60
# A partner not met for longer than this shows on the dashboard.
MEET_EVERY_DAYS = 365
FIGURE_MONTHS = 12
AWAITING_SHOWN = 50


class AgreementState:
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    NONE = "none"

    LABELS = {
        VALID: _("Valid"),
        EXPIRING: _("Expires within %(days)s days"),
        EXPIRED: _("Expired"),
        NONE: _("No agreement in force"),
    }

    @classmethod
    def label(cls, state: str) -> str:
        """The state in words, in the language of the request (``EXPIRING_DAYS`` filled in)."""
        return str(cls.LABELS[state]) % {"days": EXPIRING_DAYS}


def agreement_state(
    current_until: datetime.date | None,
    latest_until: datetime.date | None,
    today: datetime.date | None = None,
) -> str:
    """The state of a partner's agreements, from the end of the latest one in force today
    and the end of the latest one of all. One that has not started yet is not in force."""
    today = today or timezone.localdate()
    if current_until is not None:
        if current_until <= today + datetime.timedelta(days=EXPIRING_DAYS):
            return AgreementState.EXPIRING
        return AgreementState.VALID
    if latest_until is not None and latest_until < today:
        return AgreementState.EXPIRED
    return AgreementState.NONE


def with_directory_figures(partners: QuerySet[PartnerOrganisation]) -> QuerySet:
    """Each partner with the end of its agreement in force, of its latest agreement, and the
    date it was last met: subqueries, so that a long list stays one query."""
    today = timezone.localdate()
    agreements = Agreement.objects.filter(partner=OuterRef("pk")).order_by("-valid_to")
    return partners.annotate(
        current_until=Subquery(
            agreements.filter(valid_from__lte=today, valid_to__gte=today).values("valid_to")[:1]
        ),
        latest_until=Subquery(agreements.values("valid_to")[:1]),
        last_met=Subquery(
            Meeting.objects.filter(partner=OuterRef("pk"))
            .order_by("-held_on")
            .values("held_on")[:1]
        ),
    )


def directory(user: Any, *, kind: str = "", active: bool | None = None) -> list[Any]:
    partners = PartnerOrganisation.objects.visible_to(user).only(
        "name", "kind", "is_active", "channel"
    )
    if kind:
        partners = partners.filter(kind=kind)
    if active is not None:
        partners = partners.filter(is_active=active)
    rows = list(with_directory_figures(partners).order_by("name"))
    for partner in rows:
        _set_state(partner)
    return rows


def _set_state(partner: Any) -> None:
    partner.agreement_state = agreement_state(partner.current_until, partner.latest_until)
    partner.agreement_state_label = AgreementState.label(partner.agreement_state)


def partner_with_figures(partner: PartnerOrganisation) -> PartnerOrganisation:
    """The figures of ``partner`` (already fetched through the one way in) for its page."""
    row = (
        with_directory_figures(PartnerOrganisation.objects.filter(pk=partner.pk))
        .values("current_until", "latest_until", "last_met")
        .get()
    )
    for name, value in row.items():
        setattr(partner, name, value)
    _set_state(partner)
    return partner


# --- The network dashboard ---------------------------------------------------------------------


def agreements_due(user: Any) -> tuple[list[Agreement], list[Agreement]]:
    """Agreements of active partners expiring within 60 days, and expired, that no later
    agreement of the same type with the same partner takes over from (a renewal recorded
    in advance clears the warning)."""
    today = timezone.localdate()
    renewed = Agreement.objects.filter(
        partner=OuterRef("partner"), type=OuterRef("type"), valid_to__gt=OuterRef("valid_to")
    )
    due = (
        Agreement.objects.visible_to(user)
        .filter(partner__is_active=True)
        .exclude(Exists(renewed))
        .select_related("partner")
        .defer("signed_copy")
    )
    soon = today + datetime.timedelta(days=EXPIRING_DAYS)
    expiring = due.filter(valid_from__lte=today, valid_to__gte=today, valid_to__lte=soon)
    expired = due.filter(valid_to__lt=today)
    return list(expiring.order_by("valid_to", "pk")), list(expired.order_by("-valid_to", "pk"))


def partners_not_met(user: Any) -> list[Any]:
    """Active partners last met more than a year ago, or never (never first)."""
    since = timezone.localdate() - datetime.timedelta(days=MEET_EVERY_DAYS)
    return list(
        PartnerOrganisation.objects.visible_to(user)
        .filter(is_active=True)
        .only("name", "kind")
        .annotate(last_met=Max("meetings__held_on"))
        .filter(Q(last_met__isnull=True) | Q(last_met__lt=since))
        .order_by(F("last_met").asc(nulls_first=True), "name")
    )


def team_referrals(user: Any) -> QuerySet[Referral]:
    """Referrals of the cases of the user's teams (not those opened by emergency access)."""
    return Referral.objects.visible_in_teams_of(user)


def awaiting_approval(user: Any) -> tuple[int, list[Referral]]:
    waiting = team_referrals(user).filter(status=Referral.Status.AWAITING_APPROVAL)
    shown = list(
        waiting.select_related("case", "partner")
        .only(
            "id",
            "case_id",
            "created_at",
            "override_requested_at",
            "urgency",
            "case__reference",
            "partner__name",
        )
        .order_by("override_requested_at", "created_at")[:AWAITING_SHOWN]
    )
    count = len(shown) if len(shown) < AWAITING_SHOWN else waiting.count()
    return count, shown


def _months(today: datetime.date) -> list[datetime.date]:
    first = today.replace(day=1)
    months = [first]
    while len(months) < FIGURE_MONTHS:
        previous = months[-1] - datetime.timedelta(days=1)
        months.append(previous.replace(day=1))
    return list(reversed(months))


@dataclass
class PartnerFigures:
    partner_id: int
    name: str
    by_month: list[int] = field(default_factory=list)
    sent: int = 0
    answered: int = 0
    accepted: int = 0
    completed: int = 0
    declined: int = 0
    revoked: int = 0
    average: datetime.timedelta | None = None
    median: datetime.timedelta | None = None

    def month_cells(self, months: list[datetime.date]) -> list[tuple[datetime.date, int]]:
        return list(zip(months, self.by_month, strict=True))

    @property
    def acceptance_rate(self) -> int | None:
        """Per cent of the answered referrals accepted (whether since completed or revoked)."""
        if not self.answered:
            return None
        return round(100 * self.accepted / self.answered)

    @property
    def average_words(self) -> str:
        return duration_words(self.average)

    @property
    def median_words(self) -> str:
        return duration_words(self.median)


@dataclass
class NetworkFigures:
    months: list[datetime.date]
    partners: list[PartnerFigures]
    month_totals: list[int]

    def rows(self) -> list[tuple[str, list[tuple[datetime.date, int]]]]:
        """The per-month table: one row a partner, then the totals."""
        rows = [(p.name, p.month_cells(self.months)) for p in self.partners]
        rows.append(
            (str(_("All partners")), list(zip(self.months, self.month_totals, strict=True)))
        )
        return rows


def duration_words(value: datetime.timedelta | None) -> str:
    if value is None:
        return "—"
    hours = value.total_seconds() / 3600
    if hours < 48:
        whole = max(round(hours), 1) if hours > 0 else 0
        return ngettext("%(n)d hour", "%(n)d hours", whole) % {"n": whole}
    days = round(hours / 24)
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def network_figures(user: Any) -> NetworkFigures:
    """Referrals sent in the last 12 months to each partner: per month, answered, accepted,
    outcomes, and how long partners took to answer (average and median)."""
    months = _months(timezone.localdate())
    start = timezone.make_aware(datetime.datetime.combine(months[0], datetime.time.min))
    sent = team_referrals(user).filter(sent_at__gte=start)
    wait = ExpressionWrapper(F("answered_at") - F("sent_at"), output_field=DurationField())
    S = Referral.Status

    per_partner = (
        sent.order_by()
        .values("partner_id", "partner__name")
        .annotate(
            sent=Count("pk"),
            answered=Count("pk", filter=Q(answered_at__isnull=False)),
            # Answered yes: accepted, whatever came after (completed, or revoked since).
            accepted=Count("pk", filter=Q(answered_at__isnull=False) & ~Q(status=S.DECLINED)),
            completed=Count("pk", filter=Q(status=S.COMPLETED)),
            declined=Count("pk", filter=Q(status=S.DECLINED)),
            revoked=Count("pk", filter=Q(status=S.REVOKED)),
            average=Avg(wait, filter=Q(answered_at__isnull=False)),
        )
        .order_by("partner__name")
    )
    figures = {
        row["partner_id"]: PartnerFigures(
            partner_id=row["partner_id"],
            name=row["partner__name"],
            by_month=[0] * len(months),
            **{k: row[k] for k in ("sent", "answered", "accepted", "completed", "declined")},
            revoked=row["revoked"],
            average=row["average"],
        )
        for row in per_partner
    }

    monthly = (
        sent.order_by()
        .annotate(month=TruncMonth("sent_at"))
        .values("partner_id", "month")
        .annotate(n=Count("pk"))
    )
    index = {month: i for i, month in enumerate(months)}
    for row in monthly:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            # PostgreSQL hands the local month's start back in UTC: the day before, there.
            month = timezone.localtime(month).date() if timezone.is_aware(month) else month.date()
        if month in index and row["partner_id"] in figures:
            figures[row["partner_id"]].by_month[index[month]] += row["n"]

    for partner_id, median in _medians(sent.filter(answered_at__isnull=False), wait).items():
        if partner_id in figures:
            figures[partner_id].median = median

    partners = list(figures.values())
    totals = [sum(p.by_month[i] for p in partners) for i in range(len(months))]
    return NetworkFigures(months=months, partners=partners, month_totals=totals)


def _medians(answered: QuerySet[Referral], wait: Any) -> dict[int, datetime.timedelta]:
    """Each partner's median time to answer, found by the database: the answers are ranked
    per partner, and only the one or two in the middle come back (at most two rows a
    partner, however many referrals)."""
    ranked = (
        answered.order_by()
        .annotate(
            wait=wait,
            position=Window(RowNumber(), partition_by=[F("partner_id")], order_by=wait.asc()),
            total=Window(Count("pk"), partition_by=[F("partner_id")]),
        )
        .annotate(twice=F("position") * 2)
        .filter(twice__gte=F("total"), twice__lte=F("total") + 2)
        .values_list("partner_id", "wait")
    )
    middle: dict[int, list[datetime.timedelta]] = {}
    for partner_id, value in ranked:
        middle.setdefault(partner_id, []).append(value)
    return {
        partner_id: datetime.timedelta(seconds=statistics.fmean(v.total_seconds() for v in values))
        for partner_id, values in middle.items()
    }
