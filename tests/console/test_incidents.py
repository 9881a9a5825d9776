"""The incident page and its action panels: assign (R4), publish (R5), update, resolve (R11)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from statusdesk.accounts.models import User
from statusdesk.core.time import format_timeline
from statusdesk.incidents.models import (
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    IncidentUpdate,
)

pytestmark = pytest.mark.django_db


def _url(name: str, incident: Incident) -> str:
    return reverse(name, kwargs={"pk": incident.pk})


def _publish_data(components: list[Component], **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Scanning delayed",
        "message": "New scans wait in the queue.",
        "workaround": "Run the CLI scanner locally.",
        "workaround_url": "https://docs.example.com/machine/cli",
        "component_ids": [str(components[5].pk), str(components[0].pk)],
        "severity": "major_outage",
        "notify": "on",
        "reminders": "on",
        "reminder_interval_minutes": "60",
    }
    data.update(overrides)
    return data


def test_incident_page_shows_header_issue_people_and_timeline_in_the_display_zone(
    manager_client: Client, published: Incident
) -> None:
    response = manager_client.get(_url("incident_detail", published))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Scanning delayed for some groups" in html
    assert "badge--i-identified" in html
    assert "Partial outage" in html
    assert "Scanning · partial outage" in html and "Agent · partial outage" in html
    assert "Machine queue stalled" in html  # issue title
    assert "https://gitlab.example.com/product/-/issues/42" in html
    assert "developer@example.com" in html and "manager@example.com" in html
    assert "Run the CLI scanner locally." in html
    assert "https://docs.example.com/machine/cli" in html
    for label in (
        "Problem reported",
        "Confirmed as an incident",
        "Issue opened",
        "Developer assigned",
        "Published on the status page",
        "Component status changed",
    ):
        assert label in html
    stamp = format_timeline(published.published_at)  # type: ignore[arg-type]
    assert re.search(re.escape(stamp) + r' <span class="tz">UTC-5</span>', html)


def test_the_assign_panel_is_first_for_a_confirmed_incident(
    manager_client: Client, confirmed: Incident, developer: User
) -> None:
    html = manager_client.get(_url("incident_detail", confirmed)).content.decode()
    assert "Assign the accountable developer" in html
    assert f'<option value="{developer.email}">' in html
    assert "Available once a developer is assigned" in html
    assert "Publish incident</button>" not in html


def test_assigning_a_developer(
    manager_client: Client, confirmed: Incident, developer: User
) -> None:
    response = manager_client.post(
        _url("incident_assign", confirmed), {"developer": "developer@example.com"}
    )
    assert response.status_code == 302
    confirmed.refresh_from_db()
    assert confirmed.developer is not None
    assert confirmed.developer.email == "developer@example.com"
    html = manager_client.get(response["Location"]).content.decode()
    assert "Developer assigned." in html
    assert "Publish incident</button>" in html


def test_assigning_someone_who_is_not_a_developer_is_reshown(
    manager_client: Client, confirmed: Incident
) -> None:
    response = manager_client.post(
        _url("incident_assign", confirmed), {"developer": "desk1@example.com"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "is not an active user with the Developer role" in html
    assert '<a class="rule" href="/rules/#r4"' in html


def test_publish_form_has_exactly_the_r5_fields_and_defaults(
    manager_client: Client, assigned: Incident, components: list[Component]
) -> None:
    html = manager_client.get(_url("incident_detail", assigned)).content.decode()
    form = html[html.index(f'action="{_url("incident_publish", assigned)}"') :]
    form = form[: form.index("</form>")]
    names = set(re.findall(r'name="([a-z_]+)"', form)) - {"csrfmiddlewaretoken"}
    assert names == {
        "name",
        "message",
        "workaround",
        "workaround_url",
        "component_ids",
        "severity",
        "notify",
        "reminders",
        "reminder_interval_minutes",
    }
    assert form.count('type="checkbox" name="component_ids"') == len(components)
    assert re.search(r'type="checkbox" name="notify"[^>]*checked', form)
    assert re.search(r'type="checkbox" name="reminders"[^>]*checked', form)
    assert re.search(r'name="reminder_interval_minutes" value="60"', form)
    for severity in ("Major outage", "Partial outage", "Degraded performance", "Operational"):
        assert f">{severity}</option>" in form
    assert "Identified" in form  # the status is always identified at publication
    assert 'value="Machine queue stalled"' in form  # name prefilled from the issue


def test_publishing_puts_it_on_the_status_page(
    manager_client: Client, assigned: Incident, components: list[Component]
) -> None:
    response = manager_client.post(
        _url("incident_publish", assigned), _publish_data(components, notify="")
    )
    assert response.status_code == 302
    assigned.refresh_from_db()
    assert assigned.status == IncidentStatus.IDENTIFIED
    assert assigned.severity == "major_outage"
    assert assigned.notify_subscribers is False
    assert assigned.reminders_enabled is True
    assert {c.name for c in assigned.components.all()} == {"Scanning", "Platform"}
    html = manager_client.get(response["Location"]).content.decode()
    assert "Published on the status page with status Identified." in html
    assert "Post an update" in html and "Resolve the incident" in html


def test_publish_with_an_invalid_workaround_url_is_reshown_with_the_input(
    manager_client: Client, assigned: Incident, components: list[Component]
) -> None:
    response = manager_client.post(
        _url("incident_publish", assigned),
        _publish_data(components, workaround_url="docs/cli", component_ids=[]),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Workaround documentation link must be a valid http(s) URL" in html
    assert "Select at least one affected component" in html
    assert html.count('<a class="rule" href="/rules/#r5"') >= 2
    assert 'value="docs/cli"' in html
    assert 'value="Scanning delayed"' in html
    assigned.refresh_from_db()
    assert not assigned.is_published


def test_publish_keeps_checked_components_and_unchecked_boxes_on_error(
    manager_client: Client, assigned: Incident, components: list[Component]
) -> None:
    response = manager_client.post(
        _url("incident_publish", assigned),
        _publish_data(components, name="", notify="", reminder_interval_minutes="2"),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Incident name is required" in html
    assert "Reminder interval must be between 5 and 1440 minutes" in html
    assert re.search(rf'value="{components[5].pk}"[^>]*checked', html)
    assert not re.search(r'name="notify"[^>]*checked', html)


def test_publishing_before_assignment_is_a_409(
    manager_client: Client, confirmed: Incident, components: list[Component]
) -> None:
    response = manager_client.post(_url("incident_publish", confirmed), _publish_data(components))
    assert response.status_code == 409
    html = response.content.decode()
    assert "Not possible now." in html
    assert "assign a developer before publishing" in html.lower()


def test_publishing_twice_is_a_409(
    manager_client: Client, published: Incident, components: list[Component]
) -> None:
    response = manager_client.post(_url("incident_publish", published), _publish_data(components))
    assert response.status_code == 409
    assert b"already published" in response.content


def test_update_form_offers_the_three_statuses_and_component_selects(
    manager_client: Client, published: Incident, components: list[Component]
) -> None:
    html = manager_client.get(_url("incident_detail", published)).content.decode()
    form = html[html.index(f'action="{_url("incident_update", published)}"') :]
    form = form[: form.index("</form>")]
    for status in ("investigating", "identified", "monitoring"):
        assert f'value="{status}"' in form
    assert 'value="resolved"' not in form
    for component in components:
        assert f'name="component_{component.pk}"' in form
    assert re.search(r'type="checkbox" name="notify"[^>]*checked', form)


def test_posting_an_update_with_a_component_status(
    manager_client: Client, published: Incident, components: list[Component]
) -> None:
    scanning = components[5]
    response = manager_client.post(
        _url("incident_update", published),
        {
            "status": "monitoring",
            "message": "A fix is deployed; we are watching the queue.",
            "notify": "on",
            f"component_{scanning.pk}": "degraded_performance",
        },
    )
    assert response.status_code == 302
    published.refresh_from_db()
    scanning.refresh_from_db()
    assert published.status == IncidentStatus.MONITORING
    assert scanning.status == ComponentStatus.DEGRADED_PERFORMANCE
    html = manager_client.get(response["Location"]).content.decode()
    assert "Update posted on the status page." in html
    assert "A fix is deployed; we are watching the queue." in html
    assert "Scanning: partial outage → degraded performance" in html


def test_update_without_a_message_is_reshown(manager_client: Client, published: Incident) -> None:
    response = manager_client.post(
        _url("incident_update", published), {"status": "sleeping", "message": ""}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Message is required" in html
    assert "Status must be one of Investigating, Identified or Monitoring" in html


def test_updating_before_publication_is_a_409(manager_client: Client, assigned: Incident) -> None:
    response = manager_client.post(
        _url("incident_update", assigned), {"status": "monitoring", "message": "m"}
    )
    assert response.status_code == 409
    assert b"is not published yet" in response.content


def test_resolve_form_has_a_two_line_message_and_notify(
    manager_client: Client, published: Incident
) -> None:
    html = manager_client.get(_url("incident_detail", published)).content.decode()
    form = html[html.index(f'action="{_url("incident_resolve", published)}"') :]
    form = form[: form.index("</form>")]
    assert re.search(r'<textarea name="message" cols="40" rows="2"', form)
    assert "At most two lines" in form
    assert re.search(r'type="checkbox" name="notify"[^>]*checked', form)


def test_a_three_line_resolution_is_refused_with_r11(
    manager_client: Client, published: Incident
) -> None:
    message = "Scanning is resolved.\nThe queue drains again.\nThanks for your patience."
    response = manager_client.post(
        _url("incident_resolve", published), {"message": message, "notify": "on"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert '<a class="rule" href="/rules/#r11"' in html
    assert "The resolution message must be at most 2 lines (it has 3)" in html
    assert "Thanks for your patience." in html  # the input is kept
    published.refresh_from_db()
    assert published.status == IncidentStatus.IDENTIFIED


def test_resolving_returns_components_to_operational(
    manager_client: Client, published: Incident
) -> None:
    response = manager_client.post(
        _url("incident_resolve", published),
        {"message": "Scanning is resolved.\nIt works normally again.", "notify": "on"},
    )
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.status == IncidentStatus.RESOLVED
    assert all(c.status == ComponentStatus.OPERATIONAL for c in published.components.all())
    html = manager_client.get(response["Location"]).content.decode()
    assert "Incident resolved." in html
    assert "Resolved after" in html
    assert "Post an update" not in html and "Resolve incident</button>" not in html
    assert IncidentUpdate.objects.filter(incident=published, kind="resolution").count() == 1


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("incident_update", {"status": "monitoring", "message": "m"}, b"cannot be updated"),
        ("incident_resolve", {"message": "Resolved again."}, b"cannot be resolved again"),
        ("incident_assign", {"developer": "developer@example.com"}, b"cannot be reassigned"),
    ],
)
def test_actions_on_a_resolved_incident_are_409(
    manager_client: Client, resolved: Incident, name: str, data: dict, message: bytes
) -> None:
    response = manager_client.post(_url(name, resolved), data)
    assert response.status_code == 409
    assert message in response.content
    assert b"Not possible now." in response.content


def test_a_reshown_form_stays_at_the_page_address_for_htmx(
    manager_client: Client, published: Incident
) -> None:
    response = manager_client.post(
        _url("incident_resolve", published),
        {"message": "a\nb\nc"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_BOOSTED="true",
    )
    assert response.status_code == 422
    assert response["HX-Push-Url"] == "false"


def test_pages_load_htmx_from_static_and_boost_links(manager_client: Client) -> None:
    html = manager_client.get(reverse("dashboard")).content.decode()
    assert "/static/statusdesk/vendor/htmx.min.js" in html
    assert 'hx-boost="true"' in html
    # Nothing is loaded from another host (the CSRF token is random, so no substring checks).
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']?(https?:)?//""", html)
