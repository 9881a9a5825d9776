"""The one state machine: what a user may do to an incident or a report now (lifecycle.py), and
that the services, the console and the API all follow it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from statusdesk.core.errors import IllegalTransition, NotAllowed, RuleViolation
from statusdesk.incidents import lifecycle, services
from statusdesk.incidents.lifecycle import IncidentAction, ReportAction
from tests.factories import (
    a_confirmed_incident,
    a_published_incident,
    a_report,
    an_assigned_incident,
)

pytestmark = pytest.mark.django_db

ALL = list(IncidentAction)


def test_each_state_allows_the_steps_of_the_process(manager, developer, components):
    incident = a_confirmed_incident(manager)
    assert lifecycle.allowed_incident_actions(manager, incident) == [IncidentAction.ASSIGN]
    assert lifecycle.next_step(manager, incident) is IncidentAction.ASSIGN
    incident = services.assign_developer(actor=manager, incident=incident, developer=developer)
    assert lifecycle.allowed_incident_actions(manager, incident) == [
        IncidentAction.ASSIGN,
        IncidentAction.PUBLISH,
    ]
    assert lifecycle.next_step(manager, incident) is IncidentAction.PUBLISH
    published = a_published_incident(manager, developer, components)
    assert lifecycle.allowed_incident_actions(manager, published) == [
        IncidentAction.ASSIGN,
        IncidentAction.UPDATE,
        IncidentAction.RESOLVE,
    ]
    assert lifecycle.next_step(manager, published) is None
    resolved = services.resolve_incident(actor=manager, incident=published, message="Resolved.")
    assert lifecycle.allowed_incident_actions(manager, resolved) == []


@pytest.mark.parametrize("role", ["developer", "desk_member", "reporter"])
def test_roles_without_the_process_may_take_no_step(role, request, manager, developer, components):
    user = request.getfixturevalue(role)
    incident = a_published_incident(manager, developer, components)
    assert lifecycle.allowed_incident_actions(user, incident) == []
    assert lifecycle.next_step(user, incident) is None
    for action in ALL:
        assert isinstance(lifecycle.incident_refusal(user, incident, action), NotAllowed)


def test_a_refusal_says_why_in_the_words_the_services_use(manager, developer, components):
    incident = a_confirmed_incident(manager)
    refusal = lifecycle.incident_refusal(manager, incident, IncidentAction.PUBLISH)
    assert isinstance(refusal, IllegalTransition) and refusal.rule == "R4"
    with pytest.raises(IllegalTransition) as raised:
        services.publish_incident(
            actor=manager,
            incident=incident,
            name="n",
            message="m",
            workaround="w",
            workaround_url="https://docs.example.com",
            component_ids=[components[0].pk],
            severity="major_outage",
        )
    assert raised.value.message == refusal.message
    update = lifecycle.incident_refusal(manager, incident, IncidentAction.UPDATE)
    assert isinstance(update, IllegalTransition) and "not published yet" in update.message


def test_reports_may_be_confirmed_only_above_the_r1_threshold(manager, reporter):
    above = a_report(manager)
    below = a_report(manager, users_affected=1, could_affect_two_or_more=False)
    assert lifecycle.allowed_report_actions(manager, above) == [
        ReportAction.CONFIRM,
        ReportAction.DISMISS,
    ]
    assert lifecycle.allowed_report_actions(manager, below) == [ReportAction.DISMISS]
    refusal = lifecycle.report_refusal(manager, below, ReportAction.CONFIRM)
    assert isinstance(refusal, RuleViolation) and refusal.rule == "R1"
    assert lifecycle.allowed_report_actions(reporter, above) == []
    dismissed = services.dismiss_report(actor=manager, report=above, reason="duplicate")
    assert lifecycle.allowed_report_actions(manager, dismissed) == []


def _panels(client: Client, pk: int) -> set[str]:
    html = client.get(reverse("incident_detail", args=[pk])).content.decode()
    names = {"assign": 'id="assign"', "publish": 'id="publish"', "update": 'id="update"'}
    names["resolve"] = 'id="resolve"'
    names["handover"] = "Hand over to another developer"
    return {name for name, marker in names.items() if marker in html}


def test_the_console_shows_the_panels_the_state_machine_allows(
    client, manager, developer, desk_member, components
):
    client.force_login(manager)
    confirmed = a_confirmed_incident(manager)
    # Publishing waits for the developer: the panel says so, without its form.
    assert _panels(client, confirmed.pk) == {"assign", "publish"}
    assert (
        "publish-waiting"
        in client.get(reverse("incident_detail", args=[confirmed.pk])).content.decode()
    )
    assigned = an_assigned_incident(manager, developer)
    assert _panels(client, assigned.pk) == {"publish", "handover"}
    published = a_published_incident(manager, developer, components)
    assert _panels(client, published.pk) == {"update", "resolve", "handover"}
    services.resolve_incident(actor=manager, incident=published, message="Resolved.")
    assert _panels(client, published.pk) == set()
    client.force_login(desk_member)
    assert _panels(client, assigned.pk) == set()
