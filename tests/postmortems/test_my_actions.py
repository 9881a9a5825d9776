"""The owner's follow-up actions: the console page "My follow-up actions", and
GET /api/v1/actions and POST /api/v1/actions/{id}/done (who may mark done, R17, paging)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.accounts.roles import Role
from statusdesk.accounts.services import ensure_user
from statusdesk.incidents.models import Component, Incident
from statusdesk.postmortems.models import FollowUpAction
from tests.api.support import assert_error, client_for
from tests.factories import a_backfilled_resolved_incident, a_follow_up_action, a_postmortem

pytestmark = pytest.mark.django_db

MR = "https://gitlab.example.com/product/-/merge_requests/88"
COMMIT = "https://github.com/example/product/commit/0123abc"


@pytest.fixture
def incident(manager: User, developer: User, components: list[Component]) -> Incident:
    incident = a_backfilled_resolved_incident(manager, developer, components)
    a_postmortem(manager, incident)
    return incident


@pytest.fixture
def actions(manager: User, developer: User, incident: Incident) -> dict[str, FollowUpAction]:
    today = timezone.localdate()
    return {
        "later": a_follow_up_action(
            manager, incident, owner=developer, description="Later", due_on=today + timedelta(9)
        ),
        "late": a_follow_up_action(
            manager, incident, owner=developer, description="Late", due_on=today - timedelta(3)
        ),
        "soon": a_follow_up_action(
            manager, incident, owner=developer, description="Soon", due_on=today + timedelta(1)
        ),
        "lateer": a_follow_up_action(
            manager, incident, owner=developer, description="Later still", due_on=today
        ),
        "managers": a_follow_up_action(
            manager, incident, owner=manager, description="The manager's own"
        ),
    }


def test_the_owner_lists_open_actions_overdue_first(
    developer: User, actions: dict[str, FollowUpAction], incident: Incident
) -> None:
    api = client_for(developer)
    body = api.get("/actions", owner="me").json()
    assert [a["description"] for a in body["items"]] == ["Late", "Later still", "Soon", "Later"]
    first = body["items"][0]
    assert first["state"] == "overdue" and body["items"][1]["state"] == "open"
    assert first["owner"] == developer.email and first["incident_id"] == incident.pk
    assert first["postmortem_url"] == f"/manage/incidents/{incident.pk}/postmortem/print/#actions"
    assert body["next"] is None
    assert api.get("/actions").json() == body  # owner=me and state=open are the defaults
    overdue = api.get("/actions", state="overdue").json()["items"]
    assert [a["description"] for a in overdue] == ["Late"]
    assert api.get("/actions", state="done").json()["items"] == []


def test_the_list_pages_by_cursor(developer: User, actions: dict[str, FollowUpAction]) -> None:
    api = client_for(developer)
    seen, cursor = [], None
    while True:
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        body = api.get("/actions", **params).json()
        seen += [a["description"] for a in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert body["next"].startswith("/api/v1/actions?") and "limit=1" in body["next"]
    assert seen == ["Late", "Later still", "Soon", "Later"]
    # Done ones page the same way, the latest done first.
    for name in ("late", "soon", "later"):
        assert api.post(f"/actions/{actions[name].pk}/done", {}).status_code == 200
    first = api.get("/actions", state="done", limit="2").json()
    second = api.get("/actions", state="done", limit="2", cursor=first["next_cursor"]).json()
    done = [a["description"] for a in first["items"] + second["items"]]
    assert done == ["Later", "Soon", "Late"] and second["next_cursor"] is None


def test_the_list_refuses_what_it_cannot_answer(developer: User, manager: User) -> None:
    api = client_for(developer)
    assert_error(api.get("/actions", state="closed"), 422, field="state")
    assert_error(api.get("/actions", owner="someone@example.com"), 422, field="owner")
    assert_error(api.get("/actions", cursor="not-a-cursor"), 422, field="cursor")
    assert_error(api.get("/actions", owner="all"), 403)
    assert client_for(manager).get("/actions", owner="all").status_code == 200


def test_everyone_of_them_for_incident_managers(
    manager: User, actions: dict[str, FollowUpAction]
) -> None:
    everyone = client_for(manager).get("/actions", owner="all", limit="200").json()["items"]
    assert len(everyone) == 5
    mine = client_for(manager).get("/actions").json()["items"]
    assert [a["description"] for a in mine] == ["The manager's own"]


def test_done_with_a_merge_request_never_a_commit(
    developer: User, actions: dict[str, FollowUpAction]
) -> None:
    api = client_for(developer)
    late = actions["late"]
    refused = assert_error(
        api.post(f"/actions/{late.pk}/done", {"merge_request_url": COMMIT}),
        422,
        field="merge_request_url",
        rule="R17",
    )
    assert "never the commit" in refused["detail"]
    late.refresh_from_db()
    assert not late.is_done  # nothing changed
    body = api.post(f"/actions/{late.pk}/done", {"merge_request_url": MR}).json()
    assert body["state"] == "done" and body["closing_merge_request_url"] == MR
    assert body["done_at"]
    assert_error(api.post(f"/actions/{late.pk}/done", {}), 409, field="status")
    assert_error(api.post("/actions/999999/done", {}), 404, field="action_id")
    assert_error(api.post(f"/actions/{late.pk}/done", {"merged": MR}), 422, field="merged")


def test_only_the_owner_the_incidents_manager_or_an_administrator_mark_done(
    developer: User,
    desk_member: User,
    admin_user: User,
    manager: User,
    actions: dict[str, FollowUpAction],
) -> None:
    other_manager, _ = ensure_user("manager2@example.com", role=Role.INCIDENT_MANAGER)
    assert_error(client_for(desk_member).post(f"/actions/{actions['late'].pk}/done", {}), 403)
    # An Incident Manager, but not this incident's.
    assert_error(client_for(other_manager).post(f"/actions/{actions['late'].pk}/done", {}), 403)
    assert client_for(manager).post(f"/actions/{actions['late'].pk}/done", {}).status_code == 200
    assert client_for(admin_user).post(f"/actions/{actions['soon'].pk}/done", {}).status_code == 200
    assert client_for(developer).post(f"/actions/{actions['later'].pk}/done", {}).status_code == 200


def test_my_actions_page_lists_and_marks_done(
    developer: User, actions: dict[str, FollowUpAction], incident: Incident
) -> None:
    client = Client()
    client.force_login(developer)
    html = client.get("/manage/me/actions/").content.decode()
    assert "My follow-up actions" in html
    assert "4 open actions, 1 overdue" in html
    order = [html.index(name) for name in ("Late", "Later still", "Soon", "Later</strong>")]
    assert order == sorted(order)
    assert f'href="/manage/incidents/{incident.pk}/postmortem/print/#actions"' in html
    assert "The manager&#x27;s own" not in html and "The manager's own" not in html
    assert '<input type="hidden" name="next" value="/manage/me/actions/">' in html

    late = actions["late"]
    url = f"/manage/postmortem-actions/{late.pk}/done/"
    refused = client.post(
        url, {"merge_request_url": COMMIT, "next": "/manage/me/actions/"}, follow=True
    )
    assert refused.redirect_chain[-1][0] == "/manage/me/actions/"
    assert "never the commit" in refused.content.decode()
    late.refresh_from_db()
    assert not late.is_done
    done = client.post(url, {"merge_request_url": MR, "next": "/manage/me/actions/"}, follow=True)
    page = done.content.decode()
    assert "Follow-up action done: Late" in page
    assert "3 open actions" in page and 'data-testid="my-done-actions"' in page
    late.refresh_from_db()
    assert late.closing_merge_request_url == MR
    # `next` elsewhere is ignored: the postmortem's page instead.
    other = client.post(
        f"/manage/postmortem-actions/{actions['soon'].pk}/done/",
        {"next": "https://evil.example/"},
    )
    assert other["Location"] == f"/manage/incidents/{incident.pk}/postmortem/print/#actions"


def test_the_dashboard_links_to_my_actions(developer: User, actions: dict[str, FollowUpAction]):
    client = Client()
    client.force_login(developer)
    html = client.get("/manage/").content.decode()
    assert 'data-testid="follow-up-actions"' in html and "1 overdue" in html
    assert 'href="/manage/me/actions/"' in html
