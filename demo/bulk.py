"""Many fictional cases, quickly: the data behind the benchmark and trials at national scale.

``seed_cases(n)`` adds ``n`` cases spread over teams of a size a large service would have
(about 5,000 cases per team), with what years of work leave in a file: the victim, the people
they fear, contact preferences, the notice acknowledged, screening, needs, consents (some
shared, some withdrawn), notes, contacts, risk assessments and reassessments, safety plans
with actions, closures, a few per-object grants to colleagues of other teams, and the audit
entries all of that would have written, sealed into the chain.

Rows go through the same encrypted fields and blind indexes as the application (``bulk_create``
calls each field's ``get_prep_value`` and ``pre_save``). What is bypassed is the per-row
service logic and the save signals; the audit entries those signals would write are written
here instead (``victimsupport.audit.bulk``), so the log and the chain match the data.

This module holds the engine (teams and staff, batches, workers, numbering, writing) and the
cases app's rows; each other app adds its rows to every case through ``BATCH_PARTS`` (risk:
``demo.risk.BulkRisk``), drawing from the batch's random generator in a fixed order so that a
seed always gives the same data.
"""

from __future__ import annotations

import datetime
import math
import multiprocessing
import random
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import connection, connections, transaction
from django.db.models import Sum
from django.utils import timezone

from cases.intake import victim_values
from cases.models import (
    Case,
    CaseReferenceCounter,
    CaseUserObjectPermission,
    ConfidentialityNotice,
    Consent,
    ContactLog,
    ContactMethod,
    ContactPreference,
    NeedsRecord,
    Note,
    NoticeAcknowledgement,
    RiskScreen,
    StatusChange,
    ThirdParty,
    Victim,
)
from demo import dataprotection, premises, referrals, risk
from demo.models import BulkBatch, BulkRun
from referrals.models import OrganisationKind, Purpose, SharingConsent
from victimsupport import bulkinsert
from victimsupport.access import Role
from victimsupport.accounts.models import Team, User
from victimsupport.audit import bulk as audit_bulk
from victimsupport.audit.models import ChainHead
from victimsupport.audit.services import AccessKind
from victimsupport.casefile import Category

CASES_PER_TEAM = 5000
CASEWORKERS_PER_TEAM = 6
# The share of cases a caseworker of another team was given sight of (a per-object grant).
GRANT_SHARE = 0.02
YEARS = 5

# Fictional names; any likeness is accidental.
GIVEN = [
    "Aisha",
    "Alba",
    "Amira",
    "Anna",
    "Bea",
    "Carla",
    "Chiara",
    "Dana",
    "Elif",
    "Elin",
    "Emma",
    "Fatima",
    "Greta",
    "Hana",
    "Ida",
    "Ines",
    "Iris",
    "Jana",
    "Julia",
    "Kaja",
    "Lara",
    "Leila",
    "Lina",
    "Lucia",
    "Maja",
    "Mara",
    "Maria",
    "Mila",
    "Nina",
    "Noor",
    "Olga",
    "Paula",
    "Rania",
    "Rita",
    "Sara",
    "Selin",
    "Tara",
    "Vera",
    "Yara",
    "Zoe",
    "Adam",
    "Daniel",
    "Jonas",
    "Omar",
    "Pavel",
    "Tomas",
]
FAMILY = [
    "Adams",
    "Bakker",
    "Berg",
    "Costa",
    "Dubois",
    "Ek",
    "Faber",
    "Garcia",
    "Hansen",
    "Horvat",
    "Ivanova",
    "Jansen",
    "Kaya",
    "Kowalski",
    "Larsen",
    "Lopez",
    "Maes",
    "Meyer",
    "Molnar",
    "Moreau",
    "Mulder",
    "Nagy",
    "Novak",
    "Olsen",
    "Peeters",
    "Petrov",
    "Popescu",
    "Quint",
    "Rossi",
    "Sato",
    "Schmidt",
    "Silva",
    "Smit",
    "Szabo",
    "Tan",
    "Urban",
    "Varga",
    "Visser",
    "Weber",
    "Wouters",
    "Yilmaz",
    "Zeman",
]
LANGUAGES = (
    "Dutch",
    "Dutch",
    "Dutch",
    "French",
    "French",
    "English",
    "Arabic",
    "Polish",
    "Turkish",
)
NOTE_BODIES = (
    "Called as agreed; she is staying with her sister this week.",
    "Went through the options for a protection order together.",
    "Housing office appointment booked; will go with her.",
    "Feeling a little safer since the locks were changed.",
    "Talked through what to do if he turns up at work.",
    "Children are settled at school; school knows the pick-up arrangements.",
    "Asked for help with a letter to the landlord.",
    "Court date confirmed; arranged a separate waiting room.",
    "Missed the appointment; safe contact attempt by text as agreed.",
    "Reviewed the safety plan with her; two actions done.",
    "Referred to counselling with her consent.",
    "Police liaison officer updated, at her request.",
    "No new incidents since last contact.",
    "Feels ready to close the case; agreed a last call in two weeks.",
)
CONTACT_SUMMARIES = (
    "Check-in call, no new concerns.",
    "Confirmed the next appointment.",
    "Returned her call about the court letter.",
    "Met at the office; went through the plan.",
)
NEEDS = ("emotional", "practical", "legal", "housing", "financial", "health", "children")
CLOSE_REASONS = ("Support completed.", "Moved away; passed on with her consent.", "Asked to close.")

# The other apps' parts of each case, in the order they add rows (risk needs the screening that
# the case's intake made). A part is built once per batch with the batch (``rng``, ``now``,
# ``_add``) and has ``add(case, team, worker, opened, end)`` and ``save(report) -> entries``.
# A part may also have ``setup(staff, rng, report)``, run once when a run starts (and again,
# finding what it made, when an interrupted run continues): what it keeps per team.
BATCH_PARTS = (
    risk.BulkRisk,
    referrals.BulkReferrals,
    dataprotection.BulkRequests,
    premises.BulkSites,
)


@dataclass
class SeedReport:
    cases: int = 0
    teams: int = 0
    staff: int = 0
    rows: int = 0
    audit_entries: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    # Cases an interrupted run had written before this call continued it.
    resumed_from: int = 0


@dataclass
class _Staff:
    team: Team
    caseworkers: list[User]
    supervisor: User
    # Members with current training on risk assessment: only they finalise assessments.
    trained: list[User] = field(default_factory=list)
    # What other apps keep per team for their batch parts (referrals: the partners it uses).
    extra: dict[str, Any] = field(default_factory=dict)


class RunPending(Exception):
    """An interrupted run is unfinished and the command asked for something else."""


def seed_cases(
    n: int,
    *,
    batch_size: int = 500,
    workers: int = 1,
    seed: int = 2026,
    progress: Callable[[int, int], None] | None = None,
) -> SeedReport:
    """Add ``n`` fictional cases (and the teams, staff, sites and partners they need). Call
    ``demo.seed.seed_demo()`` first for the accounts and instruments.

    Resumable: a run is recorded (``demo.models.BulkRun``) before its first batch, and each
    batch is one transaction that also writes its marker row. If a run was interrupted (Ctrl-C,
    a kill, a crash), the next call continues it to its end, batch for batch as they would have
    been (batch k draws from ``seed + k``), with ``n`` either the run's own number of cases (the
    same command again) or at most the number it still lacks (``bench/run.py`` asks for what
    its total lacks, which the demo's own cases make a little less); any other ``n`` raises
    ``RunPending``. Once a run is finished, each call adds ``n`` more.

    ``workers`` > 1 builds and writes batches in that many processes (PostgreSQL only: SQLite
    allows one writer at a time). Batches take the audit chain's lock only to seal their
    entries, so the chain stays one line whatever the interleaving.

    ``progress(done, total)`` is called after each batch has committed; what it raises stops
    the run there (the tests interrupt runs that way).
    """
    if n < 1:
        raise ValueError("the number of cases must be at least 1")
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        workers = 1  # SQLite has one writer; other processes cannot see uncommitted rows
    started = time.perf_counter()
    report = SeedReport()
    run, staff = _start_run(n, batch_size, seed, report)
    done = dict(BulkBatch.objects.filter(run=run).values_list("number", "cases"))
    sizes = [
        min(run.batch_size, run.cases - start) for start in range(0, run.cases, run.batch_size)
    ]
    jobs = [(run.pk, run.seed, i, size) for i, size in enumerate(sizes) if i not in done]
    report.resumed_from = sum(done.values())
    if progress:
        progress(report.resumed_from, run.cases)  # where this call starts
    global _STAFF
    _STAFF = staff
    try:
        if workers > 1:
            connections.close_all()  # each process opens its own
            context = multiprocessing.get_context("fork")
            with context.Pool(workers, initializer=_worker_start) as pool:
                results = pool.imap_unordered(_run_batch, jobs)
                _collect(results, report, run.cases, progress)
                # Let the workers finish and leave on their own. Leaving the block otherwise
                # terminates them with SIGTERM, and a worker killed while it holds the task
                # queue's lock leaves another waiting for it forever (seen in a test run).
                pool.close()
                pool.join()
        else:
            _collect(map(_run_batch, jobs), report, run.cases, progress)
    finally:
        _STAFF = []
    BulkRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    if not connection.in_atomic_block:
        # Fresh statistics for the planner: a bulk load leaves them stale (or absent) until
        # autovacuum comes round, and stale statistics pick bad plans for the first queries.
        # On PostgreSQL, VACUUM too, as autovacuum would do soon after (and compete for the
        # CPU while it does): it also lets counts use index-only scans.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    report.seconds = time.perf_counter() - started
    return report


def pending_run() -> BulkRun | None:
    return BulkRun.objects.filter(finished_at__isnull=True).order_by("pk").first()


def _start_run(n: int, batch_size: int, seed: int, report: SeedReport) -> tuple[BulkRun, list]:
    """The unfinished run that ``n`` continues, or a new one with its teams and staff.

    A new run's setup (teams, staff, their sites, the partners) and its record are one
    transaction: interrupted there, nothing of it stays and the next call starts afresh."""
    run = pending_run()
    if run is not None:
        have = BulkBatch.objects.filter(run=run).aggregate(n=Sum("cases"))["n"] or 0
        if n != run.cases and n > run.cases - have:
            raise RunPending(
                f"An interrupted run of {run.cases:,} cases is unfinished ({have:,} done): run "
                f"`seed_demo --cases {run.cases}` to finish it first."
            )
        teams = list(Team.objects.filter(pk__in=run.team_ids).order_by("pk"))
        with transaction.atomic():  # finds what the run's setup made; makes nothing new
            staff = _setup(teams, run.seed, report)
        return run, staff
    with transaction.atomic():
        base = seed + Case.objects.count()
        teams = _teams(n, report)
        staff = _setup(teams, base, report)
        run = BulkRun.objects.create(
            cases=n, batch_size=batch_size, seed=base, team_ids=[t.pk for t in teams]
        )
    return run, staff


def _setup(teams: list[Team], base: int, report: SeedReport) -> list[_Staff]:
    """The teams' staff and what each other app keeps per team (sites, partners): made where
    missing, found where there (so a resumed run works with what its start made)."""
    staff = _staff(teams, random.Random(base), report)
    this_year = timezone.localdate().year
    for year in range(this_year - YEARS, this_year + 1):  # before workers race to create them
        CaseReferenceCounter.objects.get_or_create(year=year)
    # The parts' setups write through the apps' services, whose entries the head counts.
    head = ChainHead.objects.filter(pk=1).values_list("seq", flat=True)
    before = head.first() or 0
    for part in BATCH_PARTS:
        setup = getattr(part, "setup", None)
        if setup is not None:
            setup(staff, random.Random(base), report)
    report.audit_entries += (head.first() or 0) - before
    return staff


_STAFF: list[_Staff] = []


def _worker_start() -> None:
    """In each forked worker: its own database connections, and the default answer to SIGTERM
    and SIGINT, whatever handler the parent process had (a test runner, a server), so that
    terminating the pool always ends its workers."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    connections.close_all()


def _collect(
    results: Any, report: SeedReport, n: int, progress: Callable[[int, int], None] | None
) -> None:
    for part in results:
        report.cases += part.cases
        report.rows += part.rows
        report.audit_entries += part.audit_entries
        for label, count in part.counts.items():
            report.counts[label] = report.counts.get(label, 0) + count
        if progress:
            progress(report.resumed_from + report.cases, n)


def _run_batch(job: tuple[int, int, int, int]) -> SeedReport:
    """Build and write batch ``number`` of a run (in this process or a worker): its rows,
    its audit entries and its marker, in one transaction."""
    run_id, run_seed, number, size = job
    rng = random.Random(run_seed + number)
    part = SeedReport(cases=size)
    builder = _Batch(rng, _STAFF)
    for _ in range(size):
        builder.add_case()
    builder.number()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Not waiting for each batch's commit to reach the disk: a crash may lose the
            # last batches committed, but each with its marker, so a rerun writes them again.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        builder.save(part)
        # The marker last: a unique (run, number) row, so two processes that somehow made
        # the same batch cannot both commit it.
        BulkBatch.objects.create(run_id=run_id, number=number, cases=size)
    return part


def _teams(n: int, report: SeedReport) -> list[Team]:
    """Teams of about CASES_PER_TEAM cases each. The demo teams come first, so the demo
    accounts see a share of the cases."""
    wanted = max(2, math.ceil(n / CASES_PER_TEAM))
    teams = list(Team.objects.order_by("pk")[:wanted])
    created_teams = []
    while len(teams) < wanted:
        name = f"Region {len(teams) + 1:02d} team"
        team = Team.objects.filter(name=name).first() or Team.objects.create(name=name)
        teams.append(team)
        created_teams.append(team)
    report.audit_entries += audit_bulk.seal(audit_bulk.log_created(created_teams))
    return teams


def _staff(teams: list[Team], rng: random.Random, report: SeedReport) -> list[_Staff]:
    """Each team's caseworkers and a supervisor, made where missing."""
    groups = {g.name: g for g in Group.objects.filter(name__in=[Role.CASEWORKER, Role.SUPERVISOR])}
    result = []
    password = make_password(None)  # unusable: these accounts are for data, not for signing in
    new_users: list[tuple[User, Team, str]] = []
    # Every address ever given, active or not: a new account never takes an old one's.
    taken = set(
        User.objects.filter(email__endswith="@staff.demo.example").values_list("email", flat=True)
    )
    for team in teams:
        members = list(
            team.members.filter(is_active=True).order_by("pk").prefetch_related("groups")
        )
        workers = [u for u in members if any(g.name == Role.CASEWORKER for g in u.groups.all())]
        supervisors = [u for u in members if any(g.name == Role.SUPERVISOR for g in u.groups.all())]
        wanted = [Role.CASEWORKER] * max(0, CASEWORKERS_PER_TEAM - len(workers))
        wanted += [] if supervisors else [Role.SUPERVISOR]
        number = 0
        for role in wanted:
            # Named by the team's id, not its name: two names can make the same address.
            email = ""
            while not email or email in taken:
                number += 1
                email = f"team{team.pk}.{role}{number}@staff.demo.example"
            taken.add(email)
            user = User(
                username=email,
                email=email,
                first_name=rng.choice(GIVEN),
                last_name=rng.choice(FAMILY),
                password=password,
            )
            new_users.append((user, team, role))
            (workers if role == Role.CASEWORKER else supervisors).append(user)
        result.append(_Staff(team, workers, supervisors[0]))
    with transaction.atomic():
        created = User.objects.bulk_create([u for u, _, _ in new_users])
        User.teams.through.objects.bulk_create(
            [User.teams.through(user_id=u.pk, team_id=t.pk) for u, t, _ in new_users]
        )
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=u.pk, group_id=groups[r].pk) for u, _, r in new_users]
        )
        today = timezone.localdate()
        records = risk.bulk_training_records(new_users, rng, today)
        report.audit_entries += audit_bulk.seal(
            audit_bulk.log_created(created) + audit_bulk.log_created(records)
        )
    current = risk.trained_user_ids(today)
    for staff in result:
        members = [*staff.caseworkers, staff.supervisor]
        staff.trained = [u for u in members if u.pk in current]
    report.teams = len(teams)
    report.staff += len(created)
    return result


class _Batch:
    """The rows of a few hundred cases, built in memory and written in bulk."""

    def __init__(self, rng: random.Random, staff: list[_Staff]) -> None:
        self.rng = rng
        self.staff = staff
        self.notice = ConfidentialityNotice.objects.order_by("-version").first()
        self.view_case = Permission.objects.get(
            content_type__app_label="cases", codename="view_case"
        )
        self.now = timezone.now()
        self.created_at = _created_at
        self.rows: dict[type, list[Any]] = {}
        # (object, actor, when, kind, detail): the access entries the batch's work wrote;
        # a detail's value may be a function, for an id the object gets when it is saved.
        self.accesses: list[tuple[Any, User, datetime.datetime, str, dict[str, Any]]] = []
        self.safe_methods: dict[Any, set[str]] = {}
        # The consent to share each case was given, if any (referrals go under it).
        self.sharing: dict[Any, SharingConsent] = {}
        # Each other app's rows for a case, in this order (an app adds its part here).
        self.parts = [part(self) for part in BATCH_PARTS]

    def _add(self, obj: Any) -> Any:
        self.rows.setdefault(type(obj), []).append(obj)
        return obj

    def _when(self, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
        span = max((end - start).total_seconds(), 1.0)
        return start + datetime.timedelta(seconds=self.rng.random() * span)

    def add_case(self) -> None:
        rng, now = self.rng, self.now
        team = rng.choice(self.staff)
        worker = rng.choice(team.caseworkers)
        opened = now - datetime.timedelta(days=rng.random() * 365 * YEARS)
        closed = None
        if (now - opened).days > 120 and rng.random() < 0.75:
            closed = min(now, opened + datetime.timedelta(days=rng.randint(30, 400)))
        end = closed or now
        case = self._add(
            Case(
                id=uuid.uuid4(),
                reference="",  # numbered per year when the batch is saved
                team=team.team,
                assigned_to=None if rng.random() < 0.04 else worker,
                status=Case.Status.CLOSED if closed else Case.Status.OPEN,
                opened_at=opened,
                closed_at=closed,
                do_not_contact=rng.random() < 0.03,
            )
        )
        self._person(case, worker)
        self._intake(case, worker, opened)
        self._timeline(case, worker, opened, end)
        for part in self.parts:
            part.add(case, team, worker, opened, end)
        if closed:
            self._add(
                StatusChange(
                    case=case,
                    kind=StatusChange.Kind.CLOSED,
                    reason=rng.choice(CLOSE_REASONS),
                    changed_by=worker,
                    changed_at=closed,
                )
            )
        if rng.random() < GRANT_SHARE:  # a colleague elsewhere was given sight of the case
            other = rng.choice(self.staff)
            if other is not team:
                self._add(
                    CaseUserObjectPermission(
                        content_object=case,
                        user=rng.choice(other.caseworkers),
                        permission=self.view_case,
                    )
                )
        for _ in range(rng.randint(1, 3)):
            self.accesses.append((case, worker, self._when(opened, end), AccessKind.VIEW, {}))

    def _person(self, case: Case, worker: User) -> None:
        rng = self.rng
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        number = rng.randint(0, 99_999_999)
        # The answers the intake would hold, mapped to the record by the intake's own mapping
        # (the dict literals keep the random draws in their historical order).
        person = {
            "given_name": given,
            "family_name": family,
            "preferred_name": given[:3] if rng.random() < 0.1 else "",
            "date_of_birth": datetime.date(1950, 1, 1)
            + datetime.timedelta(days=rng.randint(0, 365 * 55)),
            "phone": f"+32 47{number % 10} {number // 10 % 100:02d} {number // 1000 % 100:02d} "
            f"{number // 100000 % 100:02d}"
            if rng.random() < 0.8
            else "",
            "email": f"{given}.{family}{number % 1000}@mail.example".lower()
            if rng.random() < 0.5
            else "",
            "address": f"{rng.randint(1, 240)} {rng.choice(FAMILY)} Street, Demo Town"
            if rng.random() < 0.7
            else "",
            "language": rng.choice(LANGUAGES),
            "interpreter_needed": rng.random() < 0.1,
            "dependants": "Two children, 4 and 7" if rng.random() < 0.3 else "",
        }
        safety = {"code_word": rng.choice(("sunflower", "blue door", "", ""))}
        self._add(Victim(case=case, **victim_values(person=person, safety=safety)))
        if rng.random() < 0.6:
            self._add(
                ThirdParty(
                    case=case,
                    role=ThirdParty.Role.FEARED,
                    name=f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                    relationship=rng.choice(("former partner", "partner", "family member")),
                )
            )

    def _intake(self, case: Case, worker: User, opened: datetime.datetime) -> None:
        rng = self.rng
        safe_methods = self.safe_methods.setdefault(case.pk, set())
        for method in ContactMethod.values:
            safe = not case.do_not_contact and rng.random() < 0.6
            if safe:
                safe_methods.add(method)
            self._add(
                ContactPreference(
                    case=case,
                    method=method,
                    is_safe=safe,
                    safe_times="Weekday mornings" if safe and rng.random() < 0.3 else "",
                )
            )
        if self.notice is not None:
            self._add(
                NoticeAcknowledgement(
                    case=case,
                    notice=self.notice,
                    method=rng.choice(("verbal", "written")),
                    acknowledged_at=opened,
                    recorded_by=worker,
                )
            )
        worried = rng.random() < 0.45
        yes_no = ("yes", "no", "unknown")
        screen = self._add(
            RiskScreen(
                case=case,
                ongoing_threat="yes" if worried else rng.choice(yes_no[1:]),
                ongoing_victimisation=rng.choice(yes_no),
                fearful="yes" if worried else "no",
                victim_view=RiskScreen.VictimView.HIGH
                if worried and rng.random() < 0.5
                else RiskScreen.VictimView.LOW,
                victim_words="I check the street before I leave" if worried else "",
                screened_by=worker,
                screened_at=opened,
            )
        )
        case.assessment_needed = screen.is_positive
        self._add(
            NeedsRecord(
                case=case,
                categories=rng.sample(NEEDS, rng.randint(1, 3)),
                details="Would like to understand her options." if rng.random() < 0.5 else "",
                crime_reported=rng.choice(("yes", "no", "no")),
                recorded_by=worker,
                recorded_at=opened,
            )
        )
        self._add(
            Consent(
                case=case,
                kind=Consent.Kind.PROCESSING,
                purpose="Providing support and keeping the case file",
                data_categories=["identity", "contact", "risk", "needs", "notes"],
                notice=self.notice,
                method=Consent.Method.VERBAL,
                given_at=opened,
                recorded_by=worker,
            )
        )
        if rng.random() < 0.25:
            withdrawn = rng.random() < 0.1
            # A consent to share with any legal-aid partner, as the case file records it
            # (referrals.services.sharing_consent_give's rules: one kind, one purpose,
            # categories of the file, an end date).
            self.sharing[case.pk] = self._add(
                SharingConsent(
                    case=case,
                    partner_kind=OrganisationKind.LEGAL_AID,
                    purpose=Purpose.LEGAL,
                    categories=[Category.CONTACT_DETAILS, Category.IDENTITY],
                    notice=self.notice,
                    method=Consent.Method.WRITTEN,
                    given_at=opened,
                    expires_on=(opened + datetime.timedelta(days=183)).date(),
                    recorded_by=worker,
                    withdrawn_at=opened + datetime.timedelta(days=20) if withdrawn else None,
                    withdrawn_by=worker if withdrawn else None,
                    withdrawal_note="Changed her mind." if withdrawn else "",
                )
            )
        self._add(
            StatusChange(
                case=case, kind=StatusChange.Kind.OPENED, changed_by=worker, changed_at=opened
            )
        )

    def _timeline(
        self, case: Case, worker: User, opened: datetime.datetime, end: datetime.datetime
    ) -> None:
        rng = self.rng
        for _ in range(min(12, int(rng.expovariate(1 / 3.5)))):
            self._add(
                Note(
                    case=case,
                    body=rng.choice(NOTE_BODIES),
                    author=worker,
                    created_at=self._when(opened, end),
                )
            )
        if case.do_not_contact:
            return
        safe = self.safe_methods.get(case.pk, set())
        for _ in range(rng.randint(0, 3)):
            method = rng.choice(("phone", "in_person", "email"))
            # As the service: we reach out only by a method marked safe (the check for any
            # other is left out here); the person may contact us by any.
            direction = "out" if method in safe and rng.random() < 0.5 else "in"
            self._add(
                ContactLog(
                    case=case,
                    method=method,
                    direction=direction,
                    summary=rng.choice(CONTACT_SUMMARIES),
                    method_was_safe=method in safe,
                    occurred_at=self._when(opened, end),
                    recorded_by=worker,
                )
            )

    def number(self) -> None:
        """Give the batch's cases their references, in order of opening within each year.

        Each year's block of numbers is reserved in its own short transaction, so that
        batches written in parallel do not wait for each other's counters."""
        cases = sorted(self.rows[Case], key=lambda c: c.opened_at)
        by_year: dict[int, list[Case]] = {}
        for case in cases:
            by_year.setdefault(timezone.localtime(case.opened_at).year, []).append(case)
        for year, group in by_year.items():
            with transaction.atomic():
                counter, _ = CaseReferenceCounter.objects.select_for_update().get_or_create(
                    year=year
                )
                first = counter.last + 1
                counter.last += len(group)
                counter.save(update_fields=["last"])
            for number, case in enumerate(group, start=first):
                case.reference = f"VS-{year}-{number:05d}"
        for part in self.parts:
            if hasattr(part, "number"):
                part.number()

    def save(self, report: SeedReport) -> None:
        entries = []
        for model, objs in self.rows.items():
            bulkinsert.insert(model, objs)
            entries += audit_bulk.log_created(objs, actor=None, at=_created_at)
            report.counts[model._meta.label] = report.counts.get(model._meta.label, 0) + len(objs)
            report.rows += len(objs)
        for part in self.parts:
            entries += part.save(report)
        entries += [
            audit_bulk.access_entry(
                obj,
                actor=actor,
                kind=kind,
                at=at,
                detail={k: v() if callable(v) else v for k, v in detail.items()},
            )
            for obj, actor, at, kind, detail in self.accesses
        ]
        report.audit_entries += audit_bulk.seal(entries)


# The moment each kind of row came into being, for its "create" entry.
_TIME_FIELDS = (
    "opened_at",
    "screened_at",
    "recorded_at",
    "acknowledged_at",
    "given_at",
    "changed_at",
    "created_at",
    "occurred_at",
    "finalised_at",
    "logged_at",
    "placed_at",
)


def _created_at(obj: Any) -> datetime.datetime:
    for name in _TIME_FIELDS:
        value = getattr(obj, name, None)
        if isinstance(value, datetime.datetime):
            return value
    case = getattr(obj, "case", None)
    if case is not None:
        return case.opened_at
    return timezone.now()
