"""Follow-up actions (owner, due date, closing merge request) and related past incidents."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.core.errors import IllegalTransition, NotAllowed, RuleViolation
from statusdesk.incidents.models import Component, Incident
from statusdesk.postmortems import queries, services
from tests.factories import (
    a_backfilled_resolved_incident,
    a_follow_up_action,
    a_postmortem,
    a_published_postmortem,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(manager: User, developer: User, components: list[Component]) -> Incident:
    return a_backfilled_resolved_incident(manager, developer, components)


def test_actions_need_an_owner_a_date_and_words(manager: User, incident: Incident) -> None:
    a_postmortem(manager, incident)
    with pytest.raises(RuleViolation) as refused:
        services.add_follow_up_action(
            actor=manager, incident=incident, description=" ", owner="nobody@x", due_on="soon"
        )
    assert [e["field"] for e in refused.value.errors] == ["description", "owner", "due_on"]


def test_actions_wait_for_the_postmortem(manager: User, incident: Incident) -> None:
    with pytest.raises(IllegalTransition):
        services.add_follow_up_action(
            actor=manager,
            incident=incident,
            description="Add a test",
            owner=manager.email,
            due_on=date.today(),
        )


def test_owner_closes_with_a_merge_request_not_a_commit(
    manager: User, developer: User, desk_member: User, incident: Incident
) -> None:
    a_postmortem(manager, incident)
    action = a_follow_up_action(manager, incident, owner=developer)
    with pytest.raises(NotAllowed):
        services.close_follow_up_action(actor=desk_member, action=action)
    with pytest.raises(RuleViolation, match="never the commit"):
        services.close_follow_up_action(
            actor=developer,
            action=action,
            merge_request_url="https://github.com/o/r/commit/abc1234",
        )
    done = services.close_follow_up_action(
        actor=developer, action=action, merge_request_url="https://github.com/o/r/pull/5"
    )
    assert done.is_done
    with pytest.raises(IllegalTransition):
        services.close_follow_up_action(actor=developer, action=action)


def test_open_and_overdue_actions_show_on_the_dashboard(
    manager: User, developer: User, incident: Incident
) -> None:
    a_postmortem(manager, incident)
    late = a_follow_up_action(
        manager, incident, owner=developer, due_on=timezone.localdate() - timedelta(days=2)
    )
    a_follow_up_action(manager, incident, owner=manager, description="Write the runbook")
    board = queries.dashboard_actions(developer)
    assert [item["action"] for item in board["actions"]] == [late]
    assert board["overdue_count"] == 1
    client = Client()
    client.force_login(manager)
    html = client.get("/manage/").content.decode()
    assert 'data-testid="follow-up-actions"' in html
    assert "1 overdue" in html and "Write the runbook" in html


def test_past_incidents_with_the_same_term_are_linked(
    manager: User, developer: User, components: list[Component], incident: Incident
) -> None:
    earlier = a_backfilled_resolved_incident(manager, developer, components, reported_hours_ago=48)
    a_published_postmortem(manager, earlier, taxonomy="MISSING_TEST")
    other = a_backfilled_resolved_incident(manager, developer, components, reported_hours_ago=30)
    a_published_postmortem(manager, other, taxonomy="THIRD_PARTY_ERROR")
    postmortem = a_postmortem(manager, incident, taxonomy="DATA_QUALITY < MISSING_TEST")
    assert queries.related_incidents(postmortem) == [earlier]
