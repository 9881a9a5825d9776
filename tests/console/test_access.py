"""Who may see and do what in the console: login, roles, forged posts, unknown ids."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from statusdesk.accounts.models import User
from statusdesk.incidents.models import Incident, IncidentStatus, Report, ReportStatus
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PAGES = [
    ("dashboard", {}),
    ("report_list", {}),
    ("report_new", {}),
    ("report_detail", {"pk": 1}),
    ("incident_list", {}),
    ("incident_detail", {"pk": 1}),
]

ACTIONS = [
    ("report_confirm", {"pk": 1}),
    ("report_dismiss", {"pk": 1}),
    ("incident_assign", {"pk": 1}),
    ("incident_publish", {"pk": 1}),
    ("incident_update", {"pk": 1}),
    ("incident_resolve", {"pk": 1}),
]


@pytest.mark.parametrize(("name", "kwargs"), PAGES + ACTIONS)
def test_login_required_redirects_to_login(client: Client, name: str, kwargs: dict) -> None:
    url = reverse(name, kwargs=kwargs)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize(("name", "kwargs"), ACTIONS)
def test_anonymous_post_is_redirected_and_changes_nothing(
    client: Client, open_report: Report, name: str, kwargs: dict
) -> None:
    response = client.post(reverse(name, kwargs=kwargs), {"reason": "x"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    open_report.refresh_from_db()
    assert open_report.status == ReportStatus.OPEN


def test_login_page_is_public_and_signs_in_with_email(client: Client, manager: User) -> None:
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b"Sign in to the console" in page.content
    response = client.post(
        reverse("login"), {"username": "manager@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_login_with_a_wrong_password_is_refused_with_a_message(
    client: Client, manager: User
) -> None:
    response = client.post(
        reverse("login"), {"username": "manager@example.com", "password": "nope"}
    )
    assert response.status_code == 200
    assert b"Wrong e-mail or password" in response.content
    assert b'value="manager@example.com"' in response.content


def test_login_follows_next(client: Client, manager: User) -> None:
    response = client.post(
        reverse("login") + "?next=/manage/incidents/",
        {"username": "manager@example.com", "password": PASSWORD, "next": "/manage/incidents/"},
    )
    assert response["Location"] == "/manage/incidents/"


def test_logout_is_a_post_and_returns_to_login(manager_client: Client) -> None:
    assert manager_client.get(reverse("logout")).status_code == 405
    response = manager_client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert manager_client.get(reverse("dashboard")).status_code == 302


def test_header_shows_the_user_their_role_and_the_nav(manager_client: Client) -> None:
    html = manager_client.get(reverse("dashboard")).content.decode()
    assert "Manager" in html  # display name
    assert "Incident manager" in html  # role
    assert f'href="{reverse("incident_list")}"' in html
    assert "Sign out" in html


@pytest.mark.parametrize(
    ("name", "data"),
    [
        (
            "incident_assign",
            {"developer": "developer@example.com"},
        ),
        (
            "incident_publish",
            {
                "name": "x",
                "message": "x",
                "workaround": "x",
                "workaround_url": "https://docs.example.com",
                "component_ids": ["1"],
                "severity": "major_outage",
                "reminder_interval_minutes": "60",
            },
        ),
        ("incident_update", {"status": "monitoring", "message": "x"}),
        ("incident_resolve", {"message": "Resolved."}),
    ],
)
def test_developer_forging_a_manager_action_gets_403(
    developer_client: Client, published: Incident, name: str, data: dict
) -> None:
    before = published.status
    response = developer_client.post(reverse(name, kwargs={"pk": published.pk}), data)
    assert response.status_code == 403
    assert b"Not allowed" in response.content
    assert b"your role does not allow you" in response.content.lower()
    published.refresh_from_db()
    assert published.status == before


@pytest.mark.parametrize("name", ["report_confirm", "report_dismiss"])
def test_developer_forging_triage_gets_403(
    developer_client: Client, open_report: Report, name: str
) -> None:
    response = developer_client.post(
        reverse(name, kwargs={"pk": open_report.pk}),
        {"issue_title": "t", "issue_description": "d", "reason": "r"},
    )
    assert response.status_code == 403
    open_report.refresh_from_db()
    assert open_report.status == ReportStatus.OPEN


def test_forged_post_with_garbage_input_is_still_403(
    developer_client: Client, published: Incident
) -> None:
    response = developer_client.post(
        reverse("incident_publish", kwargs={"pk": published.pk}),
        {"reminder_interval_minutes": "lots", "component_ids": ["abc"]},
    )
    assert response.status_code == 403


def test_reporter_cannot_see_incident_pages(reporter_client: Client, confirmed: Incident) -> None:
    assert reporter_client.get(reverse("incident_list")).status_code == 403
    response = reporter_client.get(reverse("incident_detail", kwargs={"pk": confirmed.pk}))
    assert response.status_code == 403
    assert b"not allow you to see incidents" in response.content


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("report_detail", "get"),
        ("incident_detail", "get"),
        ("report_confirm", "post"),
        ("report_dismiss", "post"),
        ("incident_assign", "post"),
        ("incident_publish", "post"),
        ("incident_update", "post"),
        ("incident_resolve", "post"),
    ],
)
def test_unknown_ids_get_404(
    manager_client: Client, components: list, name: str, method: str
) -> None:
    url = reverse(name, kwargs={"pk": 999_999})
    response = getattr(manager_client, method)(
        url,
        {
            "issue_title": "t",
            "issue_description": "d",
            "reason": "r",
            "developer": "developer@example.com",
            "status": "monitoring",
            "message": "m",
        },
    )
    assert response.status_code == 404
    assert b"does not exist" in response.content


def test_unknown_address_gets_the_404_page(manager_client: Client) -> None:
    response = manager_client.get("/no-such-page/")
    assert response.status_code == 404


def test_huge_id_is_a_404_not_a_crash(manager_client: Client) -> None:
    response = manager_client.get(reverse("incident_detail", kwargs={"pk": 10**30}))
    assert response.status_code == 404


def test_get_on_an_action_address_goes_back_to_the_page(
    manager_client: Client, confirmed: Incident
) -> None:
    response = manager_client.get(reverse("incident_publish", kwargs={"pk": confirmed.pk}))
    assert response.status_code == 302
    assert response["Location"] == reverse("incident_detail", kwargs={"pk": confirmed.pk})


def test_reporter_sees_no_action_buttons_and_no_incident_nav(
    reporter_client: Client, single_user_report: Report
) -> None:
    html = reporter_client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("incident_list")}"' not in html
    assert "Confirm incident" not in html


def test_desk_member_sees_incidents_read_only(desk_client: Client, published: Incident) -> None:
    response = desk_client.get(reverse("incident_detail", kwargs={"pk": published.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Scanning delayed for some groups" in html
    for action in ("Post update", "Resolve incident", "Hand over", "Publish incident"):
        assert action not in html
    assert published.status == IncidentStatus.IDENTIFIED
