"""Who reads and writes an incident's thread: desk members, the incident's manager and its assigned
developer; nobody else, in the console and the API (the websocket: test_live.py)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from statusdesk.accounts.models import User
from statusdesk.accounts.roles import Role
from statusdesk.accounts.services import create_api_token, ensure_user
from statusdesk.desk.models import Message, MessageKind
from tests.factories import a_desk_of, an_assigned_incident

pytestmark = pytest.mark.django_db(transaction=True)


def _api(user: User) -> Client:
    _, secret = create_api_token(user.email, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def scene(admin_user, manager, developer):
    members = a_desk_of(admin_user, 4)
    incident = an_assigned_incident(manager, developer)
    other_manager, _ = ensure_user("manager2@example.com", role=Role.INCIDENT_MANAGER)
    other_dev, _ = ensure_user("dev3@example.com", role=Role.DEVELOPER)
    return {
        "incident": incident,
        "readers": [members[0], manager, developer],
        "outsiders": [other_manager, other_dev, admin_user],
    }


def test_readers_read_and_write_the_thread_over_the_api(scene) -> None:
    incident = scene["incident"]
    url = f"/api/v1/incidents/{incident.pk}/thread"
    kickoff_id = _api(scene["readers"][0]).get(url).json()["last_id"]
    for n, reader in enumerate(scene["readers"]):
        client = _api(reader)
        answer = client.get(url)
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert body["messages"][0]["kind"] == "kickoff"
        posted = client.post(
            url, json.dumps({"text": f"note **{n}** <script>x</script>"}), "application/json"
        )
        assert posted.status_code == 201, posted.content
        assert (
            posted.json()["html"]
            == f"<p>note <strong>{n}</strong> &lt;script&gt;x&lt;/script&gt;</p>\n"
        )
    since = _api(scene["readers"][0]).get(url, {"since": kickoff_id}).json()
    assert [m["text"] for m in since["messages"]] == [
        "note **0** <script>x</script>",
        "note **1** <script>x</script>",
        "note **2** <script>x</script>",
    ]


def test_nobody_else_reads_or_writes_it(scene) -> None:
    incident = scene["incident"]
    url = f"/api/v1/incidents/{incident.pk}/thread"
    for outsider in scene["outsiders"]:
        client = _api(outsider)
        assert client.get(url).status_code == 404
        answer = client.post(url, json.dumps({"text": "hi"}), "application/json")
        assert answer.status_code == 404
        console = Client()
        console.force_login(outsider)
        assert console.get(f"/manage/incidents/{incident.pk}/thread/").status_code == 404
        assert (
            console.post(f"/manage/incidents/{incident.pk}/thread/", {"text": "x"}).status_code
            == 404
        )
        polled = console.get(f"/manage/incidents/{incident.pk}/thread/messages/?since=0")
        assert polled.status_code == 404
    assert not Message.objects.filter(kind=MessageKind.MEMBER).exists()
    assert Client().get(f"/manage/incidents/{incident.pk}/thread/").status_code == 302  # login


def test_bad_input_is_named(scene) -> None:
    incident = scene["incident"]
    client = _api(scene["readers"][1])
    url = f"/api/v1/incidents/{incident.pk}/thread"
    answer = client.post(url, json.dumps({"text": "   "}), "application/json")
    assert answer.status_code == 422 and answer.json()["field"] == "text"
    answer = client.post(url, json.dumps({"text": "x", "extra": 1}), "application/json")
    assert answer.status_code == 422
    assert client.get(url, {"since": "abc"}).status_code == 422
    assert client.get("/api/v1/incidents/999999/thread").status_code == 404


def test_console_thread_page_posts_and_polls(scene) -> None:
    incident = scene["incident"]
    console = Client()
    console.force_login(scene["readers"][2])
    page = console.get(f"/manage/incidents/{incident.pk}/thread/")
    assert page.status_code == 200 and "Kickoff" in page.content.decode()
    kickoff_id = Message.objects.get(kind=MessageKind.KICKOFF).pk
    answer = console.post(f"/manage/incidents/{incident.pk}/thread/", {"text": "on it @manager"})
    assert answer.status_code == 302
    polled = console.get(f"/manage/incidents/{incident.pk}/thread/messages/?since={kickoff_id}")
    html = polled.content.decode()
    assert "on it @manager" in html and 'hx-swap-oob="true"' in html
    refused = console.post(f"/manage/incidents/{incident.pk}/thread/", {"text": ""})
    assert refused.status_code == 422 and "text is required" in refused.content.decode().lower()


def test_desk_members_and_desk_page(scene, desk_member) -> None:
    members = _api(scene["readers"][1]).get("/api/v1/desk/members").json()
    kinds = [m["membership"] for m in members]
    assert kinds == ["standing"] * 4 + ["temporary"]
    assert members[-1]["incident_id"] == scene["incident"].pk
    assert _api(scene["outsiders"][1]).get("/api/v1/desk/members").status_code == 403
    console = Client()
    console.force_login(scene["readers"][0])
    html = console.get("/manage/desk/").content.decode()
    assert f"INC-{scene['incident'].pk}" in html and "Developer" in html


def test_a_mentioned_reader_is_emailed_once_and_outsiders_never(scene, mailoutbox) -> None:
    from statusdesk.desk import services as desk
    from statusdesk.desk.models import Mention

    incident = scene["incident"]
    manager = scene["readers"][1]
    desk.post_message(
        actor=manager,
        incident=incident,
        text="@developer please look; @dev3 @manager2@example.com are not readers",
    )
    assert [m.to for m in mailoutbox] == [["developer@example.com"]]
    assert f"mentioned you in the desk thread of INC-{incident.pk}" in mailoutbox[0].subject
    assert f"/manage/incidents/{incident.pk}/thread/" in mailoutbox[0].body
    assert desk.mail_pending_mentions() == 0  # already sent
    assert Mention.objects.get().mailed_at is not None


def test_history_pages_backwards_with_before(scene) -> None:
    from statusdesk.desk import services as desk

    incident = scene["incident"]
    for n in range(5):
        desk.post_message(actor=scene["readers"][1], incident=incident, text=f"note {n}")
    client = _api(scene["readers"][0])
    url = f"/api/v1/incidents/{incident.pk}/thread"
    latest = client.get(url, {"limit": 2}).json()
    assert [m["text"] for m in latest["messages"]] == ["note 3", "note 4"]
    older = client.get(url, {"limit": 2, "before": latest["first_id"]}).json()
    assert [m["text"] for m in older["messages"]] == ["note 1", "note 2"]
    oldest = client.get(url, {"limit": 5, "before": older["first_id"]}).json()
    assert [m["kind"] for m in oldest["messages"]] == ["kickoff", "member"]
    both = client.get(url, {"since": 1, "before": 3})
    assert both.status_code == 422 and both.json()["field"] == "before"


def test_the_incident_page_links_the_thread_for_its_readers_only(scene) -> None:
    incident = scene["incident"]
    for user, shown in ((scene["readers"][1], True), (scene["outsiders"][0], False)):
        console = Client()
        console.force_login(user)
        html = console.get(f"/manage/incidents/{incident.pk}/").content.decode()
        assert ('data-testid="desk-thread-link"' in html) is shown
