"""The referral network's part of the demo: five fictional partner organisations (one
agreement expired, one covering only some parts of a file, one expiring soon), meetings, a
partner user, consents to share, and referrals of the North team's cases in every state, so a
new user sees the network working.

Everything goes through the app's own services, as a caseworker, a supervisor and the
partner user would do it; only the dates are moved back afterwards so the figures have a past.
"""

from __future__ import annotations

import datetime
import io
import uuid
from typing import Any

from django.utils import timezone
from pypdf import PdfWriter

from cases.models import Case
from referrals import services
from referrals.models import (
    SHAREABLE,
    Agreement,
    Channel,
    OrganisationKind,
    OverrideGround,
    PartnerMembership,
    PartnerOrganisation,
    Purpose,
    Referral,
    Urgency,
)
from victimsupport.accounts.models import User
from victimsupport.audit.services import AccessKind

PARTNER_USER_EMAIL = "partner@demo.example"

# (name, kind, channel, services, eligibility, areas, languages, contacts)
PARTNERS = [
    (
        "Northside Women's Refuge",
        OrganisationKind.REFUGE,
        Channel.ACCOUNTS,
        "Emergency refuge places, outreach and children's workers.",
        "Women and their children escaping abuse; no referral needed in an emergency.",
        "North district and neighbouring towns",
        "English, French, Dutch",
        "Intake desk: +32 470 99 00 01 (day and night)",
    ),
    (
        "Demo Legal Advice Centre",
        OrganisationKind.LEGAL_AID,
        Channel.PROTECTED_PDF,
        "Free advice on protection orders, divorce, residence and housing law.",
        "Anyone on a low income; victims of violence without a means test.",
        "The whole region",
        "English, French",
        "Duty lawyer: +32 470 99 00 02, weekdays 9:00 to 17:00",
    ),
    (
        "City Police Victim Unit",
        OrganisationKind.POLICE,
        Channel.SECURE_EMAIL,
        "Specialist officers for domestic abuse and stalking; risk reviews.",
        "Victims of crimes reported in the city.",
        "City centre",
        "English, French, Dutch",
        "Victim liaison officer: +32 470 99 00 03",
    ),
    (
        "Demo Counselling Service",
        OrganisationKind.COUNSELLING,
        Channel.ACCOUNTS,
        "Trauma counselling, one to one and in groups.",
        "Adults; waiting list about three weeks.",
        "North and South districts",
        "English, Dutch",
        "Referrals coordinator: +32 470 99 00 04",
    ),
    (
        "Southside Housing Association",
        OrganisationKind.HOUSING,
        Channel.PHONE,
        "Emergency moves and safe tenancies.",
        "Tenants of the association.",
        "South district",
        "Dutch",
        "Housing officer: +32 470 99 00 05",
    ),
]


def _blank_pdf() -> bytes:
    """A one-page PDF standing for a scanned, signed agreement."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def has_network() -> bool:
    return PartnerOrganisation.objects.exists()


def seed_network(*, supervisor: User, cara: User) -> None:
    """Partners, agreements, meetings and a partner user; referrals if the cases are there."""
    today = timezone.localdate()
    partners = {}
    for name, kind, channel, offered, who, areas, languages, contacts in PARTNERS:
        partners[name] = services.partner_create(
            actor=supervisor,
            name=name,
            kind=kind,
            channel=channel,
            services=offered,
            eligibility=who,
            areas=areas,
            languages=languages,
            contacts=contacts,
        )
    refuge = partners["Northside Women's Refuge"]
    legal = partners["Demo Legal Advice Centre"]
    police = partners["City Police Victim Unit"]
    counselling = partners["Demo Counselling Service"]
    housing = partners["Southside Housing Association"]
    services.partner_update(partner=housing, actor=supervisor, is_active=False)

    def agreement(
        partner: Any, type_: str, purposes: list[str], categories: Any, start: int, end: int
    ) -> Agreement:
        return services.agreement_add(
            partner=partner,
            actor=supervisor,
            type=type_,
            purposes=purposes,
            categories=sorted(categories),
            valid_from=today + datetime.timedelta(days=start),
            valid_to=today + datetime.timedelta(days=end),
            review_on=today + datetime.timedelta(days=end - 60),
            signed_copy=("signed-agreement.pdf", "application/pdf", _blank_pdf()),
        )

    agreement(refuge, Agreement.Type.DATA_SHARING, list(Purpose.values), SHAREABLE, -400, 700)
    # Covers only some parts of a file: no risk assessments, no case notes.
    agreement(
        legal,
        Agreement.Type.REFERRAL_PROTOCOL,
        [Purpose.LEGAL, Purpose.SPECIALIST_SUPPORT],
        {"identity", "contact_details", "needs"},
        -200,
        500,
    )
    # Expired a month ago: nothing may go to the police unit until it is renewed.
    agreement(
        police,
        Agreement.Type.JOINT_CONTROLLER,
        [Purpose.JUSTICE, Purpose.SAFETY],
        SHAREABLE,
        -760,
        -30,
    )
    # Expiring within the dashboard's sixty days.
    agreement(
        counselling,
        Agreement.Type.DATA_SHARING,
        [Purpose.SPECIALIST_SUPPORT, Purpose.HEALTH],
        {"identity", "contact_details", "needs", "safety"},
        -320,
        40,
    )

    for partner, days_ago, people, notes, next_in in [
        (refuge, 35, "Refuge manager; our North team lead", "Reviewed the referral form.", 55),
        (refuge, 130, "Refuge manager; two caseworkers", "Introduced the new outreach worker.", 0),
        (legal, 80, "Duty lawyer; our supervisor", "Agreed how urgent cases reach them.", 100),
        (counselling, 200, "Coordinator; our supervisor", "Waiting times and group dates.", 0),
        # The police unit was last met more than a year ago: the dashboard says so.
        (police, 420, "Liaison officer; our manager", "Signed the arrangement.", 0),
    ]:
        services.meeting_add(
            partner=partner,
            actor=supervisor,
            held_on=today - datetime.timedelta(days=days_ago),
            attendees=people,
            notes=notes,
            next_on=(today + datetime.timedelta(days=next_in)) if next_in else None,
        )

    # The partner user is made with the other demo accounts; here she joins the refuge.
    pia = User.objects.get(email__iexact=PARTNER_USER_EMAIL)
    PartnerMembership.objects.get_or_create(user=pia, defaults={"partner": refuge})

    north = list(
        Case.objects.filter(team__name="North team", status=Case.Status.OPEN).order_by("opened_at")[
            :8
        ]
    )
    if len(north) >= 7:
        _seed_referrals(
            north,
            cara=cara,
            supervisor=supervisor,
            pia=pia,
            refuge=refuge,
            legal=legal,
            counselling=counselling,
        )


def _consent(case: Case, cara: User, partner: Any, purpose: str, categories: Any) -> Any:
    return services.sharing_consent_give(
        case=case,
        actor=cara,
        partner=partner,
        purpose=purpose,
        categories=sorted(categories),
        method="written",
        expires_on=timezone.localdate() + datetime.timedelta(days=180),
    )


def _draft(
    case: Case,
    cara: User,
    partner: Any,
    purpose: str,
    categories: Any,
    message: str,
    urgency: str = Urgency.ROUTINE,
) -> Referral:
    return services.referral_draft(
        case=case,
        actor=cara,
        partner=partner,
        purpose=purpose,
        urgency=urgency,
        message=message,
        categories=sorted(categories),
    )


def _send(referral: Referral, cara: User) -> Referral:
    return services.referral_send(referral=referral, actor=cara, version=referral.version)


def _seed_referrals(
    cases: list[Case],
    *,
    cara: User,
    supervisor: User,
    pia: User,
    refuge: Any,
    legal: Any,
    counselling: Any,
) -> None:
    place = {"identity", "contact_details", "safety", "risk", "needs"}
    # A draft, not sent yet: the caseworker can preview it.
    _consent(cases[0], cara, refuge, Purpose.HOUSING, place)
    _draft(
        cases[0],
        cara,
        refuge,
        Purpose.HOUSING,
        place,
        "She needs a refuge place for herself and two children.",
    )
    # Sent, waiting for the refuge's answer (the partner user sees it in their inbox).
    _consent(cases[1], cara, refuge, Purpose.SAFETY, place)
    _send(
        _draft(
            cases[1],
            cara,
            refuge,
            Purpose.SAFETY,
            place,
            "Please call her on the safe number only.",
            Urgency.URGENT,
        ),
        cara,
    )
    # Accepted by the refuge.
    _consent(cases[2], cara, refuge, Purpose.HOUSING, place)
    accepted = _send(
        _draft(
            cases[2], cara, refuge, Purpose.HOUSING, place, "A place from next week would be ideal."
        ),
        cara,
    )
    services.referral_accept(referral=accepted, actor=pia, version=accepted.version)
    # Declined by the refuge, with their reason.
    _consent(cases[3], cara, refuge, Purpose.HOUSING, place)
    declined = _send(
        _draft(
            cases[3],
            cara,
            refuge,
            Purpose.HOUSING,
            place,
            "She would prefer a place outside the district.",
        ),
        cara,
    )
    services.referral_decline(
        referral=declined,
        actor=pia,
        version=declined.version,
        reason="We have no family room free this month; please try again.",
    )
    # Completed, with the outcome the refuge recorded.
    _consent(cases[4], cara, refuge, Purpose.SPECIALIST_SUPPORT, place)
    done = _send(
        _draft(
            cases[4],
            cara,
            refuge,
            Purpose.SPECIALIST_SUPPORT,
            place,
            "Outreach support for the next months.",
        ),
        cara,
    )
    done = services.referral_accept(referral=done, actor=pia, version=done.version)
    services.referral_complete(
        referral=done,
        actor=pia,
        version=done.version,
        outcome="Eight outreach sessions; she now feels safe at home.",
    )
    # Revoked: the person withdrew their consent after it was sent.
    consent = _consent(
        cases[5],
        cara,
        counselling,
        Purpose.SPECIALIST_SUPPORT,
        {"identity", "contact_details", "needs"},
    )
    _send(
        _draft(
            cases[5],
            cara,
            counselling,
            Purpose.SPECIALIST_SUPPORT,
            {"identity", "contact_details", "needs"},
            "Trauma counselling, evenings.",
        ),
        cara,
    )
    consent.refresh_from_db()
    services.sharing_consent_withdraw(
        consent=consent,
        actor=cara,
        version=consent.version,
        note="She will contact the service herself.",
    )
    # A legal override waiting for a supervisor: no consent, a written reason.
    pending = _draft(
        cases[6],
        cara,
        legal,
        Purpose.LEGAL,
        {"identity", "needs"},
        "An emergency protection order hearing is tomorrow.",
        Urgency.URGENT,
    )
    services.referral_override_request(
        referral=pending,
        actor=cara,
        ground=OverrideGround.DANGER_TO_LIFE,
        reason="He has threatened to kill her before the hearing; the lawyer must act today.",
        version=pending.version,
    )
    # And a referral the supervisor approved on a legal override (sent without consent).
    if len(cases) > 7:
        approved = _draft(
            cases[7],
            cara,
            legal,
            Purpose.LEGAL,
            {"identity", "needs"},
            "A court date was set at short notice.",
            Urgency.URGENT,
        )
        approved = services.referral_override_request(
            referral=approved,
            actor=cara,
            ground=OverrideGround.LEGAL_DUTY,
            reason="The court ordered the service to pass on her contact with the lawyer.",
            version=approved.version,
        )
        services.referral_override_decide(
            referral=approved,
            actor=supervisor,
            approve=True,
            version=approved.version,
            note="The court order was checked.",
        )
    # Give the figures a past: the referrals answered went out weeks ago.
    for weeks, referral in enumerate(Referral.objects.exclude(sent_at=None).order_by("sent_at")):
        shift = datetime.timedelta(weeks=max(6 - weeks, 1), hours=3 * weeks)
        fields: dict[str, Any] = {"sent_at": referral.sent_at - shift}
        if referral.answered_at:
            fields["answered_at"] = referral.answered_at - shift + datetime.timedelta(days=2)
        Referral.objects.filter(pk=referral.pk).update(**fields)


# --- The bulk seeder's part (demo/bulk.py) -----------------------------------------------------

# Teams per region: each region has its own legal advice centre, with two members.
TEAMS_PER_REGION = 10
REGION_PARTNER_MEMBERS = 2
# Of the cases whose person consented to share with a legal-aid partner, the share referred.
REFERRED_SHARE = 0.6
BULK_MESSAGES = (
    "She would like advice on a protection order.",
    "Questions about residence and the tenancy; please call on the safe number only.",
    "Divorce proceedings have started; she needs a lawyer who knows these cases.",
)
BULK_OUTCOMES = (
    "Advice given; protection order granted.",
    "Two appointments; she now has a lawyer for the hearing.",
    "Advice on the tenancy given.",
)


class BulkReferrals:
    """Referrals of one batch's cases to their region's legal advice centre, under the consent
    to share the intake recorded (``demo.bulk``): sent with the agreement they went under and
    answered by a member of the partner, revoked when the consent was withdrawn, closed once
    the consent has expired (a partner never holds a referral whose grounds have gone)."""

    def __init__(self, batch: Any) -> None:
        self.batch = batch
        self.rng = batch.rng
        self.now = batch.now
        self.today = timezone.localdate()
        self.referrals: list[Referral] = []

    @staticmethod
    def setup(staff: list[Any], rng: Any, report: Any) -> None:
        """Each region's partner, its members and its agreement, through the app's services
        (made once: found by name when they are there)."""
        admin = User.objects.filter(email__iexact="admin@demo.example").first()
        today = timezone.localdate()
        for start in range(0, len(staff), TEAMS_PER_REGION):
            region = staff[start : start + TEAMS_PER_REGION]
            keeper = region[0].supervisor
            name = f"Region {start // TEAMS_PER_REGION + 1:02d} Legal Advice Centre"
            partner = PartnerOrganisation.objects.filter(name=name).first()
            if partner is None:
                partner = services.partner_create(
                    actor=keeper,
                    name=name,
                    kind=OrganisationKind.LEGAL_AID,
                    channel=Channel.ACCOUNTS,
                    services="Free advice on protection orders, divorce, residence and housing.",
                    eligibility="Victims of violence, without a means test.",
                    areas="The region's districts",
                    languages="English, French, Dutch",
                    contacts="Duty lawyer, weekdays 9:00 to 17:00",
                )
                services.agreement_add(
                    partner=partner,
                    actor=keeper,
                    type=Agreement.Type.REFERRAL_PROTOCOL,
                    purposes=[Purpose.LEGAL],
                    categories=sorted({"identity", "contact_details"}),
                    valid_from=today - datetime.timedelta(days=366 * 6),
                    valid_to=today + datetime.timedelta(days=730),
                    review_on=today + datetime.timedelta(days=670),
                    signed_copy=("signed-agreement.pdf", "application/pdf", _blank_pdf()),
                )
                for number in range(1, REGION_PARTNER_MEMBERS + 1):
                    services.partner_user_create(
                        partner=partner,
                        actor=admin,
                        name=f"Lawyer {number}",
                        email=f"partner{partner.pk}.member{number}@partners.demo.example",
                    )
                report.counts["referrals.PartnerOrganisation"] = (
                    report.counts.get("referrals.PartnerOrganisation", 0) + 1
                )
            agreement = partner.agreements.order_by("pk").first()
            members = [
                m.user for m in PartnerMembership.objects.filter(partner=partner).order_by("pk")
            ]
            for team in region:
                team.extra["legal"] = (partner, agreement, members)

    def add(self, case: Case, team: Any, worker: User, opened: Any, end: Any) -> None:
        consent = self.batch.sharing.get(case.pk)
        rng = self.rng
        if consent is None or rng.random() >= REFERRED_SHARE or "legal" not in team.extra:
            return
        partner, agreement, members = team.extra["legal"]
        created = consent.given_at + datetime.timedelta(hours=rng.randint(2, 240))
        if created > end:
            return
        message = rng.choice(BULK_MESSAGES)
        referral = Referral(
            id=uuid.uuid4(),
            case=case,
            partner=partner,
            purpose=Purpose.LEGAL,
            urgency=rng.choice((Urgency.ROUTINE, Urgency.ROUTINE, Urgency.SOON, Urgency.URGENT)),
            message=message,
            categories=sorted(consent.categories),
            created_by=worker,
            created_at=created,
        )
        self.batch._add(referral)
        expired = consent.expires_on < self.today
        if consent.withdrawn_at is None and not expired and rng.random() < 0.1:
            return  # a draft not sent yet
        sent = min(created + datetime.timedelta(hours=rng.randint(1, 48)), self.now)
        if consent.withdrawn_at is not None and sent >= consent.withdrawn_at:
            return  # still a draft when she withdrew
        referral.status = Referral.Status.SENT
        referral.sent_by, referral.sent_at = worker, sent
        referral.consent, referral.agreement = consent, agreement
        # The package as it went (rendered from the projection by the app; a stand-in here,
        # encrypted the same way).
        referral.package = f"<section><h2>Referral to {partner.name}</h2><p>{message}</p></section>"
        self.batch.accesses.append(
            (
                referral,
                worker,
                sent,
                AccessKind.EXPORT,
                {
                    "case": str(case.pk),
                    "partner": partner.pk,
                    "purpose": Purpose.LEGAL,
                    "override": False,
                    "agreement": agreement.pk,
                    # The consent's id, once it has one (the batch's save resolves it).
                    "consent": lambda: consent.pk,
                },
            )
        )
        if consent.withdrawn_at is not None:
            referral.status = Referral.Status.REVOKED
            referral.revoked_at, referral.revoked_by = consent.withdrawn_at, worker
            referral.revoked_because = Referral.RevokedBecause.CONSENT_WITHDRAWN
            return
        member = rng.choice(members)
        answered = sent + datetime.timedelta(hours=rng.randint(2, 120))
        if answered > self.now:
            return  # waiting for the partner's answer
        self.batch.accesses.append((referral, member, answered, AccessKind.VIEW, {"as": "partner"}))
        roll = rng.random()
        if not expired and roll < 0.5:
            referral.status = Referral.Status.SENT if roll < 0.2 else Referral.Status.ACCEPTED
            if referral.status == Referral.Status.ACCEPTED:
                referral.answered_by, referral.answered_at = member, answered
            return
        referral.answered_by, referral.answered_at = member, answered
        if roll < 0.8:
            referral.status = Referral.Status.COMPLETED
            referral.completed_at = min(
                answered + datetime.timedelta(days=rng.randint(7, 90)), self.now
            )
            referral.outcome = rng.choice(BULK_OUTCOMES)
        else:
            referral.status = Referral.Status.DECLINED
            referral.decline_reason = "No lawyer free for this kind of case this month."

    def save(self, report: Any) -> list[Any]:
        return []
