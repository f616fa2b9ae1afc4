"""Every page's cost grows with what it shows, not with the size of the database.

The bulk seeder's data at two sizes: two teams of about 200 cases, then eighteen more teams
of the same size (ten times the cases, the same teams for the people signed in). Every page
that lists or counts is rendered at each size; every SELECT it ran is explained with
``EXPLAIN (ANALYZE, FORMAT JSON)`` and the rows its plan touched are added up (each node's
rows, and the rows it read and threw away, times its loops). A page whose queries read ten
times as many rows when its user's teams hold as many cases as before has a query over the
whole database: a ``NOT IN`` over every case, a count of a whole table, a subquery the
planner cannot bound by the user's teams.

The data is the seeder's: cases and their files, referrals to each region's partner,
data-protection requests, sites. Two things it makes too rarely for a few thousand cases to
show are made more often here: requests (one case in ten) and assessments waiting as drafts
(one in five).

PostgreSQL only: the plans, their row counts and the planner's choices are PostgreSQL's,
and production runs on it. Sequential scans are switched off for the explained queries: at a
few thousand rows the planner would rightly read a small table whole, which says nothing of
a million; with them off, a plan that still scans a table whole has no index to go by.

The planner makes other choices that only a small database makes cheap: hashing a whole
small table to join a page's rows with it (every user, to name the caseworkers of a page of
cases), or sorting all of a few dozen rows for the first page of them rather than walking
the index in their order. A plan like that costs more as the table grows, and the bounded
plan does not, so at scale the planner takes the bounded one. Each query is therefore also
explained with hash joins and sorts off (``SECOND_OPINION``), and a query has grown only if
its rows grew under both: a query that reads the whole database grows under every plan.

A page is added to ``PAGES``: (role, url name, its arguments, a POST body or None).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case
from demo import bulk
from demo import dataprotection as demo_dataprotection
from demo.seed import seed_demo
from referrals.models import PartnerOrganisation
from risk.dashboard import DRILLDOWNS
from risk.models import Assessment
from victimsupport.accounts.models import User

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="query plans and their row counts are PostgreSQL's (production's database); "
        "run with DATABASE_URL=postgres://...",
    ),
]

TEAM_SIZE = 200
SMALL_TEAMS = 2
LARGE_TEAMS = 20
# Rows a query touched at ten times the database over rows it touched at the small one. The
# same teams' queries touch the same rows give or take the planner's choices; a query over
# the whole database touches about ten times as many.
GROWTH_LIMIT = 2.0
# Below this many rows a query reads too little to say anything by a ratio.
FLOOR = 100
# A query whose shape the small database's pages never ran (a lookup of one more kind of
# row, an IN list the first page did not need) has nothing to be compared with: it may
# touch as many rows as a page shows times this, which the whole of a large table exceeds.
# The most rows a page shows (the audit log's 50) times the rows a row shown may cost
# (its own row, the joins that name it, their index entries).
PAGE_ROWS = 50
ROWS_PER_ROW_SHOWN = 10
NEW_SHAPE_LIMIT = PAGE_ROWS * ROWS_PER_ROW_SHOWN

# One case in ten with a request for a copy of the file (the seeder's share is a few in a
# thousand, which a few hundred cases would not show).
REQUEST_SHARE = 0.1
SEARCH = "search"  # stands for the POST body of a search, filled in from the data

# (role, url name, kwargs, POST data). The demo accounts: the caseworker and the supervisor
# are in the North team, which keeps its size while the database grows.
PAGES: list[tuple[str, str, dict[str, Any], Any]] = [
    ("caseworker", "cases:list", {}, None),
    ("caseworker", "cases:list?scope=team", {}, None),
    ("caseworker", "cases:list?scope=team&status=open&risk=high", {}, None),
    ("caseworker", "cases:list?scope=team&review_due=on", {}, None),
    ("caseworker", "cases:list", {}, SEARCH),
    ("supervisor", "risk:dashboard", {}, None),
    *[("supervisor", "risk:dashboard_list", {"tile": tile}, None) for tile in DRILLDOWNS],
    ("supervisor", "referrals:dashboard", {}, None),
    ("supervisor", "premises:dashboard", {}, None),
    ("supervisor", "premises:sites", {}, None),
    ("supervisor", "cases:list?scope=team", {}, None),
    ("supervisor", "dataprotection:requests", {}, None),
    ("partner", "referrals:inbox", {}, None),
    ("data_protection_officer", "dataprotection:dashboard", {}, None),
    ("data_protection_officer", "dataprotection:requests", {}, None),
    ("auditor", "audit_log", {}, None),
]

# Queries that read the whole database because the page shows the whole database, each with
# its role, the start of its SQL and a part of it. Nothing else belongs here.
UNBOUNDED = {
    # The data-protection officer's dashboard lists every open request of the organisation
    # by its deadline, unpaged: the officer answers them all, each within its legal month.
    (
        "data_protection_officer",
        'SELECT "dataprotection_accessrequest"."id"',
        'ORDER BY "dataprotection_accessrequest"."due_on" ASC',
    ),
}

EMAILS = {
    "caseworker": "caseworker@demo.example",
    "supervisor": "supervisor@demo.example",
    "data_protection_officer": "dpo@demo.example",
    "auditor": "auditor@demo.example",
}


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def rows_touched(plan: dict[str, Any]) -> int:
    """Rows every node of an analysed plan produced or read and discarded, over its loops
    (PostgreSQL reports both per loop)."""
    total = 0.0
    for node in _nodes(plan):
        per_loop = node.get("Actual Rows", 0) + sum(
            node.get(key, 0)
            for key in (
                "Rows Removed by Filter",
                "Rows Removed by Join Filter",
                "Rows Removed by Index Recheck",
            )
        )
        total += per_loop * node.get("Actual Loops", 1)
    return round(total)


def outline(plan: dict[str, Any]) -> str:
    """What each node of a plan read and how many rows, for the failure message."""
    parts = []
    for node in _nodes(plan):
        name = node["Node Type"]
        on = node.get("Index Name") or node.get("Relation Name")
        rows = node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
        parts.append(f"{name}{f' {on}' if on else ''} ({round(rows)})")
    return "; ".join(parts)


SECOND_OPINION = ("enable_hashjoin", "enable_sort")


def explain(sql: str, off: tuple[str, ...] = ()) -> dict[str, Any]:
    settings_off = ("enable_seqscan", *off)
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in settings_off:
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        (result,) = cursor.fetchone()
        # The test's transaction holds the savepoint's settings after it is released: back
        # to the defaults for the pages' own queries and the next plan.
        for setting in settings_off:
            cursor.execute(f"RESET {setting}")
    if isinstance(result, str):
        result = json.loads(result)
    return result[0]["Plan"]


def _url(name: str, kwargs: dict[str, Any]) -> str:
    name, _, query = name.partition("?")
    return reverse(name, kwargs=kwargs) + (f"?{query}" if query else "")


# Rows touched, the SQL, its plan's outline, rows touched by the second opinion's plan.
Measured = tuple[int, str, str, int]


def measure(
    client: Any, users: dict[str, User], search: dict[str, str]
) -> dict[str, list[Measured]]:
    """Per page: the rows each of its SELECTs touched, with its text and its plan."""
    result = {}
    for role, name, kwargs, data in PAGES:
        client.force_login(users[role])
        url = _url(name, kwargs)
        key = f"{role} {url}" + (" (search)" if data else "")

        def get(url: str = url, post: bool = data is not None) -> Any:
            return client.post(url, search) if post else client.get(url)

        get()  # warm: the session's first-seen stamp, caches
        with CaptureQueriesContext(connection) as queries:
            response = get()
        assert response.status_code == 200, (key, response.status_code)
        plans = [
            (explain(q["sql"]), q["sql"])
            for q in queries.captured_queries
            if q["sql"].lstrip().upper().startswith("SELECT")
            and not any(
                role == r and q["sql"].startswith(start) and part in q["sql"]
                for r, start, part in UNBOUNDED
            )
        ]
        result[key] = [
            (rows_touched(plan), sql, outline(plan), rows_touched(explain(sql, SECOND_OPINION)))
            for plan, sql in plans
        ]
    return result


def _by_shape(queries: list[Measured]) -> dict[str, Measured]:
    """A page's queries by their text without its values (ids, dates, lists of ids), each
    with the most rows a query of that shape touched: the same query at both sizes, even
    where a page runs one more lookup when its rows hold one more kind of thing."""
    shapes: dict[str, Measured] = {}
    for measured in queries:
        sql = measured[1]
        shape = re.sub(r"\((?:\?, )*\?\)", "(...)", re.sub(r"'[^']*'|\b\d+\b", "?", sql))
        shapes[shape] = max(shapes.get(shape, (0, "", "", 0)), measured)
    return shapes


def _grew(few: int, many: int) -> bool:
    return many > FLOOR and many > GROWTH_LIMIT * max(few, 1)


def _seed_new_teams(n: int, monkeypatch: Any) -> None:
    """Add ``n`` cases in new teams only: the people signed in keep their teams' size."""
    existing = set(bulk.Team.objects.values_list("pk", flat=True))
    original = bulk._teams

    def new_teams_only(cases: int, report: Any) -> list[Any]:
        teams = original(cases + len(existing) * bulk.CASES_PER_TEAM, report)
        return [team for team in teams if team.pk not in existing]

    monkeypatch.setattr(bulk, "_teams", new_teams_only)
    bulk.seed_cases(n, batch_size=n)
    monkeypatch.setattr(bulk, "_teams", original)


def _make_drafts(cases: Any) -> None:
    """One assessment in five of ``cases`` still a draft: the seeder finalises them all."""
    ids = Assessment.objects.filter(case__in=cases).order_by("pk").values_list("pk", flat=True)
    Assessment.objects.filter(pk__in=list(ids)[::5]).update(
        status=Assessment.Status.DRAFT, finalised_at=None, finalised_by=None
    )


def _set_aside_partner() -> None:
    """The seeder names each region's partner by its place in the run's teams: the new teams'
    run would send its referrals to the partner of the first run's teams, which is signed in.
    Renamed, the new run makes one of its own."""
    regions = PartnerOrganisation.objects.filter(name__startswith="Region ")
    regions.update(name=Concat("name", Value(" (1)")))


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # VACUUM cannot run in the test's transaction


def test_pages_touch_as_many_rows_whatever_the_size_of_the_database(client, settings, monkeypatch):
    settings.MFA_ENFORCE = False  # force_login has no second factor
    monkeypatch.setattr(bulk, "CASES_PER_TEAM", TEAM_SIZE)
    monkeypatch.setattr(demo_dataprotection, "REQUEST_SHARE", REQUEST_SHARE)
    seed_demo()
    bulk.seed_cases(SMALL_TEAMS * TEAM_SIZE, batch_size=SMALL_TEAMS * TEAM_SIZE)
    _make_drafts(Case.objects.all())
    _analyze()
    users = {role: User.objects.get(email=email) for role, email in EMAILS.items()}
    # The partner signed in: a member of the partner the North team's referrals go to.
    north = users["caseworker"].teams.get()
    legal = (
        PartnerOrganisation.objects.filter(name__startswith="Region ", referrals__case__team=north)
        .distinct()
        .get()
    )
    users["partner"] = User.objects.filter(partner_membership__partner=legal).first()
    received = legal.referrals.count()
    case = Case.objects.filter(team=north, victim__isnull=False).order_by("opened_at").first()
    search = {"scope": "team", "q": case.reference}
    small = measure(client, users, search)

    before = list(Case.objects.values_list("pk", flat=True))
    _set_aside_partner()
    _seed_new_teams((LARGE_TEAMS - SMALL_TEAMS) * TEAM_SIZE, monkeypatch)
    _make_drafts(Case.objects.exclude(pk__in=before))
    _analyze()
    assert Case.objects.count() >= 9 * Case.objects.filter(team=north).count()
    assert legal.referrals.count() == received  # the new teams' referrals went elsewhere
    large = measure(client, users, search)

    grew = []
    for page, queries in small.items():
        few_by_shape = _by_shape(queries)
        for shape, (many, sql, plan, many_too) in _by_shape(large[page]).items():
            if shape in few_by_shape:
                few, _sql, _plan, few_too = few_by_shape[shape]
                if _grew(few, many) and _grew(few_too, many_too):
                    grew.append(
                        f"{page}: {few} -> {many} rows ({few_too} -> {many_too} with "
                        f"{', '.join(SECOND_OPINION)} off): {sql[:800]}\n  plan: {plan}"
                    )
            elif min(many, many_too) > NEW_SHAPE_LIMIT:
                grew.append(f"{page}: (not run) -> {many} rows: {sql[:800]}\n  plan: {plan}")
    assert not grew, "rows touched grew with the database:\n" + "\n".join(grew)
