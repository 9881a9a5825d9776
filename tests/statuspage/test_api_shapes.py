"""The Statuspage-compatible files under /api/v2/: the same keys and types as Statuspage's public
API v2 (the field lists below are Statuspage's), ids as strings, ISO 8601 times with an offset,
empty lists present, and the overall indicator derived as Statuspage derives it."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from statusdesk.accounts.models import User
from statusdesk.incidents import services
from statusdesk.incidents.models import Component
from statusdesk.statuspage import shapes
from tests.factories import a_published_incident, a_resolved_incident, an_update
from tests.statuspage.conftest import API_PATHS, get_json

pytestmark = pytest.mark.django_db

PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
STATUS_KEYS = {"indicator", "description"}
COMPONENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
    "start_date", "group_id", "page_id", "group", "only_show_if_degraded",
}  # fmt: skip
INCIDENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
    "shortlink", "started_at", "page_id", "incident_updates", "components",
}  # fmt: skip
UPDATE_KEYS = {
    "id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
    "affected_components", "deliver_notifications", "custom_tweet", "tweet_id",
}  # fmt: skip
AFFECTED_KEYS = {"code", "name", "old_status", "new_status"}
TOP_KEYS = {
    "/api/v2/summary.json": {"page", "components", "incidents", "scheduled_maintenances", "status"},
    "/api/v2/status.json": {"page", "status"},
    "/api/v2/components.json": {"page", "components"},
    "/api/v2/incidents.json": {"page", "incidents"},
    "/api/v2/incidents/unresolved.json": {"page", "incidents"},
    "/api/v2/scheduled-maintenances.json": {"page", "scheduled_maintenances"},
    "/api/v2/scheduled-maintenances/upcoming.json": {"page", "scheduled_maintenances"},
    "/api/v2/scheduled-maintenances/active.json": {"page", "scheduled_maintenances"},
}
COMPONENT_STATUSES = {
    "operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance",
}  # fmt: skip
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")
ID = re.compile(r"^[0-9a-z]+$")


def assert_time(value: Any, *, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    assert isinstance(value, str) and ISO.match(value), value
    assert datetime.fromisoformat(value).utcoffset() is not None


def assert_page(page: dict[str, Any]) -> None:
    assert set(page) == PAGE_KEYS
    assert isinstance(page["id"], str) and ID.match(page["id"]) and len(page["id"]) == 12
    assert isinstance(page["name"], str) and page["name"]
    assert page["url"].startswith("http")
    assert page["time_zone"] == "Etc/GMT+5"  # the default display zone, UTC-5
    assert_time(page["updated_at"])


def assert_component(component: dict[str, Any], page_id: str) -> None:
    assert set(component) == COMPONENT_KEYS
    assert isinstance(component["id"], str) and ID.match(component["id"])
    assert isinstance(component["name"], str)
    assert component["status"] in COMPONENT_STATUSES
    assert_time(component["created_at"])
    assert_time(component["updated_at"])
    assert type(component["position"]) is int
    assert component["description"] is None or isinstance(component["description"], str)
    assert component["showcase"] is True
    assert component["start_date"] is None
    assert component["group_id"] is None
    assert component["page_id"] == page_id
    assert component["group"] is False
    assert component["only_show_if_degraded"] is False


def assert_incident(incident: dict[str, Any], page_id: str) -> None:
    assert set(incident) == INCIDENT_KEYS
    assert isinstance(incident["id"], str) and ID.match(incident["id"])
    assert isinstance(incident["name"], str) and incident["name"]
    assert incident["status"] in {"investigating", "identified", "monitoring", "resolved"}
    for key in ("created_at", "updated_at", "started_at"):
        assert_time(incident[key])
    assert_time(incident["monitoring_at"], nullable=True)
    assert_time(incident["resolved_at"], nullable=incident["status"] != "resolved")
    assert incident["impact"] in {"none", "minor", "major", "critical"}
    assert incident["shortlink"].endswith(f"/incidents/{incident['id']}")
    assert incident["page_id"] == page_id
    assert isinstance(incident["incident_updates"], list) and incident["incident_updates"]
    times = [u["display_at"] for u in incident["incident_updates"]]
    assert times == sorted(times, reverse=True)  # newest first
    for update in incident["incident_updates"]:
        assert set(update) == UPDATE_KEYS
        assert isinstance(update["id"], str) and ID.match(update["id"])
        assert update["incident_id"] == incident["id"]
        assert isinstance(update["body"], str)
        for key in ("created_at", "updated_at", "display_at"):
            assert_time(update[key])
        assert isinstance(update["deliver_notifications"], bool)
        assert update["custom_tweet"] is None and update["tweet_id"] is None
        affected = update["affected_components"]
        assert affected is None or isinstance(affected, list)
        for entry in affected or []:
            assert set(entry) == AFFECTED_KEYS
            assert isinstance(entry["code"], str)
            assert entry["old_status"] in COMPONENT_STATUSES
            assert entry["new_status"] in COMPONENT_STATUSES
    assert isinstance(incident["components"], list)
    for component in incident["components"]:
        assert_component(component, page_id)


@pytest.fixture
def history(manager: User, developer: User, components: list[Component]) -> dict[str, Any]:
    """An open incident with an update (monitoring), a resolved one, the other components fine."""
    resolved = a_resolved_incident(
        manager, developer, components, component_ids=[components[2].pk], severity="major_outage"
    )
    open_one = a_published_incident(manager, developer, components)
    an_update(
        manager,
        open_one,
        component_statuses={str(components[1].pk): "degraded_performance"},
    )
    return {"open": open_one, "resolved": resolved}


@pytest.mark.parametrize("path", API_PATHS)
def test_every_file_has_statuspage_keys_and_types(
    client: Client, history: dict[str, Any], path: str
) -> None:
    body = get_json(client, path)
    assert set(body) == TOP_KEYS[path]
    assert_page(body["page"])
    page_id = body["page"]["id"]
    if "status" in body:
        assert set(body["status"]) == STATUS_KEYS
    for component in body.get("components", []):
        assert_component(component, page_id)
    for incident in body.get("incidents", []):
        assert_incident(incident, page_id)
    if "scheduled_maintenances" in body:
        assert body["scheduled_maintenances"] == []


def test_summary_lists_the_unresolved_incidents_and_every_component(
    client: Client, history: dict[str, Any], components: list[Component]
) -> None:
    summary = get_json(client, "/api/v2/summary.json")
    assert [c["id"] for c in summary["components"]] == [str(c.pk) for c in components]
    assert [c["position"] for c in summary["components"]] == [c.position for c in components]
    assert [i["id"] for i in summary["incidents"]] == [str(history["open"].pk)]
    incident = summary["incidents"][0]
    assert incident["status"] == "monitoring"
    assert incident["impact"] == "major"  # partial outage
    assert incident["monitoring_at"] == incident["incident_updates"][0]["display_at"]
    assert [u["status"] for u in incident["incident_updates"]] == ["monitoring", "identified"]
    published, update = incident["incident_updates"][1], incident["incident_updates"][0]
    assert published["body"] == "Logging in to the Platform fails with an error for some users."
    assert published["affected_components"] == [
        {
            "code": str(components[0].pk),
            "name": "Platform",
            "old_status": "operational",
            "new_status": "partial_outage",
        },
        {
            "code": str(components[1].pk),
            "name": "Web",
            "old_status": "operational",
            "new_status": "partial_outage",
        },
    ]
    assert update["affected_components"] == [
        {
            "code": str(components[1].pk),
            "name": "Web",
            "old_status": "partial_outage",
            "new_status": "degraded_performance",
        }
    ]
    assert [c["id"] for c in incident["components"]] == [
        str(components[0].pk),
        str(components[1].pk),
    ]
    assert summary["status"] == {"indicator": "major", "description": "Partial System Outage"}


def test_an_update_naming_no_component_has_null_affected_components(
    client: Client, manager: User, developer: User, components: list[Component]
) -> None:
    incident = a_published_incident(manager, developer, components)
    an_update(manager, incident, status="investigating", message="Still looking.")
    incident_json = get_json(client, "/api/v2/incidents/unresolved.json")["incidents"][0]
    assert incident_json["incident_updates"][0]["affected_components"] is None


def test_incidents_json_has_every_status_and_the_resolution(
    client: Client, history: dict[str, Any]
) -> None:
    incidents = get_json(client, "/api/v2/incidents.json")["incidents"]
    assert [i["id"] for i in incidents] == [str(history["open"].pk), str(history["resolved"].pk)]
    resolved = incidents[1]
    assert resolved["status"] == "resolved"
    assert resolved["impact"] == "critical"  # major outage
    assert resolved["resolved_at"] == resolved["incident_updates"][0]["display_at"]
    assert resolved["incident_updates"][0]["status"] == "resolved"
    assert resolved["incident_updates"][0]["affected_components"] == [
        {
            "code": str(history["resolved"].components.get().pk),
            "name": "Docs",
            "old_status": "major_outage",
            "new_status": "operational",
        }
    ]
    assert get_json(client, "/api/v2/incidents/unresolved.json")["incidents"][0]["id"] == str(
        history["open"].pk
    )


def test_incidents_json_holds_the_fifty_most_recent(
    client: Client, manager: User, developer: User, components: list[Component]
) -> None:
    ids = [a_published_incident(manager, developer, components).pk for _ in range(52)]
    incidents = get_json(client, "/api/v2/incidents.json")["incidents"]
    assert [i["id"] for i in incidents] == [str(pk) for pk in reversed(ids)][:50]


def test_an_empty_page_keeps_every_list(client: Client, components: list[Component]) -> None:
    summary = get_json(client, "/api/v2/summary.json")
    assert summary["incidents"] == []
    assert summary["scheduled_maintenances"] == []
    assert len(summary["components"]) == 8
    assert summary["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert get_json(client, "/api/v2/incidents.json")["incidents"] == []
    assert get_json(client, "/api/v2/incidents/unresolved.json")["incidents"] == []


def test_times_are_in_the_display_zone(client: Client, history: dict[str, Any]) -> None:
    incident = get_json(client, "/api/v2/incidents/unresolved.json")["incidents"][0]
    assert incident["created_at"].endswith("-05:00")
    published_at = history["open"].published_at
    assert datetime.fromisoformat(incident["created_at"]) == published_at.replace(
        microsecond=published_at.microsecond // 1000 * 1000
    )


# --- the overall indicator ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "impacts", "indicator", "description"),
    [
        (["operational", "operational"], [], "none", "All Systems Operational"),
        (["degraded_performance", "operational"], ["minor"], "minor", "Partially Degraded Service"),
        (["degraded_performance", "degraded_performance"], [], "minor", "Degraded System Service"),
        (["partial_outage", "degraded_performance"], [], "major", "Partial System Outage"),
        (["major_outage", "partial_outage"], ["major"], "critical", "Major System Outage"),
        (["under_maintenance", "operational"], [], "maintenance", "Service Under Maintenance"),
        (["under_maintenance", "degraded_performance"], [], "minor", "Partially Degraded Service"),
        # An open incident whose components are fine again (monitoring) still counts.
        (["operational"], ["major"], "major", "Partial System Outage"),
        (["operational"], ["minor"], "minor", "Minor Service Outage"),
        (["operational"], ["none"], "none", "All Systems Operational"),
        ([], [], "none", "All Systems Operational"),
    ],
)
def test_indicator_is_the_most_serious_of_components_and_open_incidents(
    statuses: list[str], impacts: list[str], indicator: str, description: str
) -> None:
    assert shapes.indicator(statuses, impacts) == {
        "indicator": indicator,
        "description": description,
    }


def test_indicator_follows_the_incidents_through_their_life(
    client: Client, manager: User, developer: User, components: list[Component]
) -> None:
    def status() -> dict[str, str]:
        from statusdesk.statuspage.snapshot import rebuild_snapshot

        rebuild_snapshot()
        return get_json(client, "/api/v2/status.json")["status"]

    assert status()["indicator"] == "none"
    minor = a_published_incident(manager, developer, components, severity="degraded_performance")
    assert status() == {"indicator": "minor", "description": "Partially Degraded Service"}
    critical = a_published_incident(manager, developer, components, severity="major_outage")
    assert status()["indicator"] == "critical"
    services.resolve_incident(actor=manager, incident=critical, message="Resolved.")
    assert status()["indicator"] == "minor"
    services.resolve_incident(actor=manager, incident=minor, message="Resolved.")
    assert status()["indicator"] == "none"


def test_page_id_is_stable_and_statuspage_shaped() -> None:
    assert shapes.page_id("https://status.example.com") == shapes.page_id(
        "https://status.example.com"
    )
    assert shapes.page_id("https://status.example.com") != shapes.page_id("https://other.example")
    assert re.match(r"^[0-9a-z]{12}$", shapes.page_id("https://status.example.com"))


@pytest.mark.parametrize(
    ("zone", "name"),
    [("UTC-5", "Etc/GMT+5"), ("UTC+3", "Etc/GMT-3"), ("UTC", "Etc/UTC"),
     ("America/Bogota", "America/Bogota"), ("UTC+5:30", "UTC+5:30")],
)  # fmt: skip
def test_time_zone_names_as_statuspage_does(zone: str, name: str) -> None:
    from statusdesk.core.timezones import parse_display_zone

    assert shapes.zone_name(parse_display_zone(zone)) == name
