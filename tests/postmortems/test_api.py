"""The postmortem endpoints: how the answers and refusals look (the rules are test_rules.py's)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.http import HttpResponse

from statusdesk.accounts.models import User
from statusdesk.core.models import Event
from statusdesk.incidents.models import Component, Incident
from tests.api.support import ApiClient, assert_error, client_for
from tests.factories import a_backfilled_resolved_incident, a_published_incident, postmortem_fields

pytestmark = pytest.mark.django_db


def put(client: ApiClient, incident_id: int, body: Any) -> HttpResponse:
    return client.request("PUT", f"/api/v1/incidents/{incident_id}/postmortem", json.dumps(body))


@pytest.fixture
def resolved_incident(manager: User, developer: User, components: list[Component]) -> Incident:
    return a_backfilled_resolved_incident(manager, developer, components)


@pytest.fixture
def as_manager(manager: User) -> ApiClient:
    return client_for(manager)


def full_body(incident: Incident, **overrides: Any) -> dict[str, Any]:
    merged = incident.report.reported_at - timedelta(hours=3, minutes=30)
    return {**postmortem_fields(cause_merged_at=merged.isoformat()), **overrides}


def test_write_read_draft_and_publish(as_manager: ApiClient, resolved_incident: Incident) -> None:
    incident_id = resolved_incident.pk
    assert_error(as_manager.get(f"/incidents/{incident_id}/postmortem"), 404, field="postmortem")

    response = put(as_manager, incident_id, full_body(resolved_incident))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["terms"] == ["DATA_QUALITY", "FAILED_MIGRATION"]
    assert body["ttd"] == {"seconds": 12600, "worded": "3.5 hours"}
    assert body["ttf"] == {"seconds": 2700, "worded": "45 minutes"}
    assert body["ttr"] == {"seconds": 15300, "worded": "4.3 hours"}
    assert body["missing"] == []

    # a partial PUT changes only what it sends
    body = put(as_manager, incident_id, {"cause": "Reworded."}).json()
    assert body["cause"] == "Reworded." and body["solution"].startswith("We taught")

    draft = as_manager.get(f"/incidents/{incident_id}/postmortem/draft").json()
    assert "Time to recover was 4.3 hours." in draft["impact"]
    assert draft["ttd"]["worded"] == "3.5 hours"
    assert len(draft["timeline"]) == 5
    assert draft["timeline"][0]["stamp"].count("-") == 2

    response = as_manager.post(f"/incidents/{incident_id}/postmortem/publish")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published"
    assert Event.objects.filter(kind="postmortem.published").count() == 1
    assert_error(
        as_manager.post(f"/incidents/{incident_id}/postmortem/publish"),
        409,
        field="status",
        rule="R12",
    )


def test_no_postmortem_before_resolution_is_409(
    as_manager: ApiClient, manager: User, developer: User, components: list[Component]
) -> None:
    incident = a_published_incident(manager, developer, components)
    assert_error(put(as_manager, incident.pk, {"impact": "x"}), 409, field="status", rule="R12")
    assert_error(
        as_manager.get(f"/incidents/{incident.pk}/postmortem"), 409, field="status", rule="R12"
    )
    assert_error(
        as_manager.get(f"/incidents/{incident.pk}/postmortem/draft"),
        409,
        rule="R12",
        field="status",
    )
    assert_error(
        as_manager.post(f"/incidents/{incident.pk}/postmortem/publish"),
        409,
        rule="R12",
        field="status",
    )


def test_a_developer_may_not_write_it(developer: User, resolved_incident: Incident) -> None:
    response = put(client_for(developer), resolved_incident.pk, {"impact": "x"})
    assert_error(response, 403, rule="R12")


def test_commit_address_is_refused_with_the_reason(
    as_manager: ApiClient, resolved_incident: Incident
) -> None:
    body = full_body(
        resolved_incident,
        cause_merge_request_url="https://gitlab.com/a/b/-/commit/0123456789abcdef",
    )
    error = assert_error(
        put(as_manager, resolved_incident.pk, body),
        422,
        field="cause_merge_request_url",
        rule="R17",
    )
    assert "never the commit" in error["detail"]


def test_publishing_names_each_missing_part(
    as_manager: ApiClient, resolved_incident: Incident
) -> None:
    put(as_manager, resolved_incident.pk, {"impact": "Only the impact."})
    error = assert_error(
        as_manager.post(f"/incidents/{resolved_incident.pk}/postmortem/publish"),
        422,
        field="cause",
        rule="R13",
    )
    assert [item["field"] for item in error["errors"]] == [
        "cause",
        "solution",
        "conclusion",
        "taxonomy",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"taxonomy": "DATA_QUALITY < NOPE"}, "taxonomy"),
        ({"five_whys": [{"why": "Why?"}]}, "five_whys[0].because"),
        ({"five_whys": [{"why": "a", "because": "b"}] * 6}, "five_whys"),
        ({"cause_merged_at": "2026-01-01T10:00:00"}, "cause_merged_at"),
        ({"cause_merged_at": "yesterday"}, "cause_merged_at"),
        ({"impact": 5}, "impact"),
        ({"summary": "x"}, "summary"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    as_manager: ApiClient, resolved_incident: Incident, body: dict[str, Any], field: str
) -> None:
    response = put(as_manager, resolved_incident.pk, body)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert any(str(item["field"]).startswith(field.split(".")[0]) for item in errors), errors


def test_taxonomy_lists_terms_with_definitions(as_manager: ApiClient) -> None:
    terms = as_manager.get("/taxonomy").json()
    assert len(terms) == 15
    assert terms[0] == {
        "name": "COMMUNICATION_FAILURE",
        "definition": "Occurs when it was an expected behavior, but it was not specified in the "
        "documentation, or there were insufficient instructions to perform the task correctly.",
        "retired": False,
    }


def test_unknown_incident_is_404(as_manager: ApiClient) -> None:
    assert_error(as_manager.get("/incidents/999999/postmortem"), 404, field="incident")
