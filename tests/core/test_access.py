"""Who may see and change a case. Cara works in North; Sofia supervises North; Sam works in
South; Ada is an administrator, Aud an auditor; Oscar has no role."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.http import Http404
from guardian.shortcuts import assign_perm

from cases.access import get_case_for_user
from cases.models import Case
from tests import factories
from victimsupport.access import Role
from victimsupport.audit.services import AccessKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    north, south = factories.make_team("North"), factories.make_team("South")
    w = {
        "north": north,
        "south": south,
        "cara": factories.caseworker(north, "Cara"),
        "sofia": factories.supervisor(north, "Sofia"),
        "sam": factories.caseworker(south, "Sam"),
        "ada": factories.make_user("Ada", role=Role.ADMINISTRATOR, is_staff=True),
        "aud": factories.make_user("Aud", role=Role.AUDITOR),
        "oscar": factories.make_user("Oscar"),
    }
    w["case"] = factories.make_case(team=north, assigned_to=w["cara"])
    w["south_case"] = factories.make_case(team=south, assigned_to=w["sam"])
    return w


def test_caseworker_sees_and_changes_own_team_cases(world):
    case = get_case_for_user(world["cara"], world["case"].pk, write=True)
    assert case == world["case"] and case.can_write


def test_supervisor_sees_and_changes_team_cases(world):
    assert get_case_for_user(world["sofia"], world["case"].pk, write=True).can_write


def test_outsider_gets_404(world):
    with pytest.raises(Http404):
        get_case_for_user(world["sam"], world["case"].pk)


def test_missing_case_gets_the_same_404(world):
    with pytest.raises(Http404) as missing:
        get_case_for_user(world["sam"], uuid.uuid4())
    with pytest.raises(Http404) as hidden:
        get_case_for_user(world["sam"], world["case"].pk)
    assert str(missing.value) == str(hidden.value)


def test_malformed_id_gets_404(world):
    with pytest.raises(Http404):
        get_case_for_user(world["cara"], "not-a-uuid")


@pytest.mark.parametrize("who", ["ada", "aud", "oscar"])
def test_roles_without_case_work_see_no_case(world, who):
    assert not Case.objects.visible_to(world[who]).exists()


def test_superuser_and_global_permissions_grant_nothing(world):
    boss = factories.make_user("Boss", is_superuser=True, is_staff=True)
    boss.user_permissions.add(Permission.objects.get(codename="change_case"))
    assert not Case.objects.visible_to(boss).exists()


def test_anonymous_and_inactive_users_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert not Case.objects.visible_to(AnonymousUser()).exists()
    world["cara"].is_active = False
    world["cara"].save()
    assert not Case.objects.visible_to(world["cara"]).exists()


def test_caseworker_who_leaves_the_team_loses_access(world):
    world["cara"].teams.clear()
    world["case"].assigned_to = None
    world["case"].save()
    with pytest.raises(Http404):
        get_case_for_user(world["cara"], world["case"].pk)


def test_view_only_grant_gives_403_on_write(world):
    assign_perm("view_case", world["sam"], world["case"])
    assert get_case_for_user(world["sam"], world["case"].pk) == world["case"]
    with pytest.raises(PermissionDenied):
        get_case_for_user(world["sam"], world["case"].pk, write=True)


def test_change_grant_allows_write(world):
    assign_perm("change_case", world["sam"], world["case"])
    assert get_case_for_user(world["sam"], world["case"].pk, write=True).can_write


def test_group_grant_applies_to_members(world):
    # A caseworker of another team (a grant opens nothing to a role that sees no case).
    group = Group.objects.create(name="Court liaison")
    world["sam"].groups.add(group)
    assign_perm("view_case", group, world["case"])
    assert world["case"] in Case.objects.visible_to(world["sam"])
    world["oscar"].groups.add(group)
    assert list(Case.objects.visible_to(world["oscar"])) == []


def test_list_has_no_duplicates_when_access_comes_several_ways(world):
    assign_perm("change_case", world["cara"], world["case"])
    assert Case.objects.visible_to(world["cara"]).filter(pk=world["case"].pk).count() == 1


def test_visible_to_is_one_query_whatever_the_number_of_cases(world, django_assert_num_queries):
    for _ in range(20):
        factories.make_case(team=world["north"])
    cara = world["cara"]
    cara._vs_roles = None
    with django_assert_num_queries(2):  # the user's roles, then the cases
        cases = list(Case.objects.visible_to(cara).select_related("team", "assigned_to"))
    assert len(cases) == 21
    assert all(c.can_write for c in cases)


def test_case_pages_give_404_to_outsiders_and_200_to_the_team(client, world):
    url = f"/cases/{world['case'].pk}/"
    client.force_login(world["sam"])
    assert client.get(url).status_code == 404
    assert client.get(f"/cases/{uuid.uuid4()}/").status_code == 404
    factories.assert_not_accessed(world["case"])  # refused: nothing was shown
    client.force_login(world["cara"])
    response = client.get(url)
    assert response.status_code == 200
    assert world["case"].reference in response.text
    factories.assert_accessed(world["case"], AccessKind.VIEW, world["cara"])


def test_case_lists_show_only_visible_cases(client, world, django_assert_max_num_queries):
    for _ in range(30):
        factories.make_case(team=world["north"], assigned_to=world["cara"])
    client.force_login(world["cara"])
    with django_assert_max_num_queries(12):
        page1 = client.get("/cases/")
    assert page1.status_code == 200
    assert world["south_case"].reference not in page1.text
    team = client.get("/cases/?scope=team")
    assert world["case"].reference in team.text or team.context["page"].has_next
    assert world["south_case"].reference not in team.text


def test_case_list_queries_do_not_grow_with_cases(client, world, django_assert_num_queries):
    client.force_login(world["cara"])
    client.get("/cases/")  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/cases/")
    for _ in range(40):
        factories.make_case(team=world["north"], assigned_to=world["cara"])
    with CaptureQueriesContext(connection) as many:
        client.get("/cases/")
    assert len(many) == len(few)


@pytest.mark.parametrize(
    "role", [None, Role.AUDITOR, Role.ADMINISTRATOR, Role.DATA_PROTECTION_OFFICER]
)
def test_a_grant_does_not_open_a_case_to_a_role_that_sees_none(client, role):
    """Grants never widen what a role may see: holding view_case (or change_case) on a case
    opens nothing to someone whose role reads no case file, and the answer is the usual 404."""
    from guardian.shortcuts import assign_perm

    north = factories.make_team("North")
    case = factories.make_case(team=north)
    someone = factories.make_user("Ann", role=role)
    assign_perm("cases.view_case", someone, case)
    assign_perm("cases.change_case", someone, case)
    assert not Case.objects.visible_to(someone).exists()
    client.force_login(someone)
    if role is not None:
        factories.with_totp(someone)
    assert client.get(f"/cases/{case.pk}/").status_code == 404
