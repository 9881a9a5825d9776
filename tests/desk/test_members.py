"""The desk's membership page (/manage/desk/members/) and the members API: administrators add and
remove standing members through the desk's services (R7); members, managers read; others get 403."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from statusdesk.accounts.models import User
from statusdesk.accounts.roles import Role
from statusdesk.accounts.services import create_api_token, ensure_user
from statusdesk.desk import services as desk
from statusdesk.desk.models import Membership
from tests.factories import a_desk_of, an_assigned_incident

pytestmark = pytest.mark.django_db

PAGE = "/manage/desk/members/"


def _console(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: User) -> Client:
    _, secret = create_api_token(user.email, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_an_administrator_adds_and_removes_a_standing_member(admin_user, desk_member) -> None:
    members = a_desk_of(admin_user, 4)
    console = _console(admin_user)
    page = console.get(PAGE).content.decode()
    assert 'data-testid="add-member"' in page and members[0].email in page
    answer = console.post(
        PAGE, {"action": "add", "user": desk_member.pk, "why": "knows billing"}, follow=True
    )
    assert "The new standing member is on the desk." in answer.content.decode()
    assert Membership.objects.get(user=desk_member).why == "knows billing"
    answer = console.post(
        PAGE, {"action": "remove", "user": desk_member.pk, "why": "moved team"}, follow=True
    )
    assert "has left the desk" in answer.content.decode()
    assert desk.standing_members().count() == 4


def test_removing_below_four_is_refused_with_the_reason(admin_user) -> None:
    members = a_desk_of(admin_user, 4)
    answer = _console(admin_user).post(
        PAGE, {"action": "remove", "user": members[0].pk, "why": "moved team"}
    )
    html = answer.content.decode()
    assert answer.status_code == 409
    assert "must keep at least 4 standing members" in html
    assert "Add another standing member first" in html
    assert desk.standing_members().count() == 4


def test_a_missing_reason_is_named(admin_user, desk_member) -> None:
    a_desk_of(admin_user, 4)
    answer = _console(admin_user).post(PAGE, {"action": "add", "user": desk_member.pk, "why": ""})
    assert answer.status_code == 422
    assert "Why is required: say why this person joins" in answer.content.decode()


@pytest.mark.django_db(transaction=True)
def test_members_read_the_page_others_do_not(admin_user, manager, developer) -> None:
    members = a_desk_of(admin_user, 4)
    incident = an_assigned_incident(manager, developer)
    page = _console(members[0]).get(PAGE)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="add-member"' not in html and "Remove" not in html  # read-only
    assert f"INC-{incident.pk}" in html and developer.display_name in html  # the temporary one
    assert _console(manager).get(PAGE).status_code == 200
    reporter, _ = ensure_user("reporter@example.com", role=Role.REPORTER)
    assert _console(reporter).get(PAGE).status_code == 403
    # A member posting anyway is refused by the service.
    refused = _console(members[0]).post(
        PAGE, {"action": "remove", "user": members[1].pk, "why": "x"}
    )
    assert refused.status_code == 403
    assert Client().get(PAGE).status_code == 302  # to the sign-in page


def test_the_api_adds_and_removes_standing_members(admin_user, desk_member, manager) -> None:
    members = a_desk_of(admin_user, 4)
    api = _api(admin_user)
    added = api.post(
        "/api/v1/desk/members",
        json.dumps({"user": desk_member.email, "why": "knows billing"}),
        "application/json",
    )
    assert added.status_code == 201, added.content
    assert added.json()["membership"] == "standing"
    assert added.json()["user"]["email"] == desk_member.email
    gone = api.delete(f"/api/v1/desk/members/{desk_member.pk}?why=moved%20team")
    assert gone.status_code == 204
    refused = api.delete(f"/api/v1/desk/members/{members[0].pk}?why=moved%20team")
    assert refused.status_code == 409 and refused.json()["rule"] == "R7"
    assert api.delete(f"/api/v1/desk/members/{members[0].pk}").status_code == 422  # no why
    as_manager = _api(manager).post(
        "/api/v1/desk/members",
        json.dumps({"user": desk_member.pk, "why": "w"}),
        "application/json",
    )
    assert as_manager.status_code == 403
    listed = _api(manager).get("/api/v1/desk/members").json()
    assert [m["user"]["email"] for m in listed] == [m.email for m in members]
