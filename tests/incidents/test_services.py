"""Process steps beyond the named rules: updates, dismissal, back-filled history, roles, events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from statusdesk.core.errors import IllegalTransition, NotAllowed, NotFound, RuleViolation
from statusdesk.core.models import Event
from statusdesk.incidents import queries, services
from statusdesk.incidents.events import ComponentEvent, IncidentEvent
from statusdesk.incidents.models import (
    Component,
    ComponentStatus,
    IncidentStatus,
    IncidentUpdate,
    ReportStatus,
)
from statusdesk.incidents.timeline import incident_timeline
from tests.factories import (
    a_confirmed_incident,
    a_published_incident,
    a_report,
    an_assigned_incident,
    an_incident_assigned_in_the_past,
    publication,
)

pytestmark = pytest.mark.django_db


def test_update_changes_status_and_component_statuses(manager, developer, components):
    incident = a_published_incident(manager, developer, components, severity="major_outage")
    docs = components[2]
    update = services.post_update(
        actor=manager,
        incident=incident,
        status="monitoring",
        message="A fix is deployed; we are watching error rates.",
        component_statuses={
            str(components[0].pk): "degraded_performance",
            docs.pk: "partial_outage",
        },
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.MONITORING
    assert incident.last_update_at == update.at
    assert Component.objects.get(pk=components[0].pk).status == "degraded_performance"
    # A component named in an update joins the affected components.
    assert incident.components.filter(pk=docs.pk).exists()
    assert Component.objects.get(pk=docs.pk).status == "partial_outage"
    event = Event.objects.get(kind=IncidentEvent.INCIDENT_UPDATED)
    assert event.data["status"] == "monitoring" and event.data["previous_status"] == "identified"
    # Components are named by id: a renamed component keeps its history.
    assert event.data["component_statuses"] == {
        str(components[0].pk): "degraded_performance",
        str(docs.pk): "partial_outage",
    }


def test_update_naming_a_component_at_its_current_status_still_records_it(
    manager, developer, components
):
    incident = a_published_incident(manager, developer, components)
    mailing = components[7]
    services.post_update(
        actor=manager,
        incident=incident,
        status="identified",
        message="Mailing is affected too, though it still works.",
        component_statuses={mailing.pk: "operational"},
    )
    assert incident.components.filter(pk=mailing.pk).exists()
    event = Event.objects.get(kind=IncidentEvent.INCIDENT_UPDATED)
    assert event.data["component_statuses"] == {str(mailing.pk): "operational"}


def test_update_moves_the_next_reminder(manager, developer, components):
    incident = a_published_incident(manager, developer, components)
    update = services.post_update(
        actor=manager, incident=incident, status="identified", message="Still on it."
    )
    incident.refresh_from_db()
    assert incident.next_reminder_at == update.at + timedelta(minutes=60)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("status", {"status": "resolved"}),
        ("status", {"status": "identified-ish"}),
        ("message", {"message": ""}),
        ("component_statuses", {"component_statuses": {"999999": "major_outage"}}),
        ("component_statuses", {"component_statuses": {"PLATFORM": "major_outage"}}),
        ("component_statuses", {"component_statuses": {"1": "on_fire"}}),
    ],
)
def test_update_bad_input_changes_nothing(manager, developer, components, field, kwargs):
    incident = a_published_incident(manager, developer, components)
    before = (Event.objects.count(), IncidentUpdate.objects.count())
    arguments = {"status": "monitoring", "message": "Watching."} | kwargs
    if "component_statuses" in kwargs and "1" in kwargs["component_statuses"]:
        arguments["component_statuses"] = {str(components[0].pk): "on_fire"}
    with pytest.raises(RuleViolation) as refused:
        services.post_update(actor=manager, incident=incident, **arguments)
    assert refused.value.field == field
    assert (Event.objects.count(), IncidentUpdate.objects.count()) == before


def test_update_before_publication_is_refused(manager, developer):
    incident = an_assigned_incident(manager, developer)
    with pytest.raises(IllegalTransition, match="not published"):
        services.post_update(actor=manager, incident=incident, status="monitoring", message="x")


def test_dismissing_a_report_closes_it(manager):
    report = a_report(manager, users_affected=1, could_affect_two_or_more=False)
    services.dismiss_report(actor=manager, report=report, reason="Single user, local proxy issue")
    report.refresh_from_db()
    assert report.status == ReportStatus.DISMISSED and report.closed_at is not None
    assert (
        Event.objects.about(f"report:{report.pk}")
        .filter(kind=IncidentEvent.REPORT_DISMISSED)
        .exists()
    )
    with pytest.raises(IllegalTransition):
        services.dismiss_report(actor=manager, report=report, reason="again")
    with pytest.raises(IllegalTransition):
        services.confirm_incident(
            actor=manager, report=report, issue_title="t", issue_description="d"
        )


def test_dismissing_needs_a_reason(manager):
    report = a_report(manager)
    with pytest.raises(RuleViolation) as refused:
        services.dismiss_report(actor=manager, report=report, reason=" ")
    assert refused.value.field == "reason"


def test_confirming_a_confirmed_report_is_refused(manager):
    incident = a_confirmed_incident(manager)
    with pytest.raises(IllegalTransition, match="already confirmed"):
        services.confirm_incident(
            actor=manager, report=incident.report, issue_title="t", issue_description="d"
        )


def test_unknown_ids_are_not_found(manager):
    with pytest.raises(NotFound):
        services.confirm_incident(
            actor=manager, report=424242, issue_title="t", issue_description="d"
        )
    with pytest.raises(NotFound):
        services.resolve_incident(actor=manager, incident=424242, message="Resolved.")


@pytest.mark.parametrize("role", ["developer", "desk_member", "reporter"])
def test_only_managers_and_administrators_run_the_process(request, manager, components, role):
    actor = request.getfixturevalue(role)
    report = a_report(manager)
    with pytest.raises(NotAllowed):
        services.confirm_incident(
            actor=actor, report=report, issue_title="t", issue_description="d"
        )
    with pytest.raises(NotAllowed):
        services.dismiss_report(actor=actor, report=report, reason="no")


def test_administrator_runs_the_whole_process(admin_user, developer, components):
    incident = a_published_incident(admin_user, developer, components)
    services.post_update(actor=admin_user, incident=incident, status="monitoring", message="ok")
    services.resolve_incident(actor=admin_user, incident=incident, message="Resolved.")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


def test_inactive_manager_cannot_act(manager):
    manager.is_active = False
    manager.save()
    with pytest.raises(NotAllowed):
        a_report(manager)


# --- back-filled history --------------------------------------------------------------------


def test_manager_backfills_a_past_incident_in_order(manager, developer, components):
    start = timezone.now() - timedelta(days=3)
    report = a_report(manager, at=start)
    incident = services.confirm_incident(
        actor=manager,
        report=report,
        issue_title="t",
        issue_description="d",
        at=start + timedelta(minutes=10),
    )
    services.assign_developer(
        actor=manager,
        incident=incident,
        developer=developer.email,
        at=start + timedelta(minutes=20),
    )
    services.publish_incident(
        actor=manager,
        incident=incident,
        **publication(components),
        at=start + timedelta(minutes=30),
    )
    services.post_update(
        actor=manager,
        incident=incident,
        status="monitoring",
        message="m",
        at=start + timedelta(hours=2),
    )
    services.resolve_incident(
        actor=manager, incident=incident, message="Resolved.", at=start + timedelta(hours=5)
    )
    incident.refresh_from_db()
    assert incident.report.reported_at == start
    assert incident.resolved_at == start + timedelta(hours=5)
    times = [e.at for e in incident_timeline(incident)]
    assert times == sorted(times) and times[0] == start


def test_a_backfilled_step_records_history_without_notifying(manager, developer, components):
    incident = an_incident_assigned_in_the_past(manager, developer, hours=4)
    past = timezone.now() - timedelta(hours=3)
    services.publish_incident(actor=manager, incident=incident, **publication(components), at=past)
    update = services.post_update(
        actor=manager, incident=incident, status="monitoring", message="m", at=past
    )
    asked = services.post_update(
        actor=manager,
        incident=incident,
        status="monitoring",
        message="n",
        at=past + timedelta(hours=1),
        notify=True,
    )
    services.resolve_incident(
        actor=manager, incident=incident, message="Resolved.", at=past + timedelta(hours=2)
    )
    incident.refresh_from_db()
    assert incident.notify_subscribers is False
    assert update.notify is False and asked.notify is True
    notified = [u.notify for u in incident.updates.order_by("at", "id")]
    assert notified == [False, False, True, False]
    kinds = {e.kind: e.data.get("notify") for e in incident_timeline(incident)}
    assert kinds[IncidentEvent.INCIDENT_PUBLISHED] is False
    assert kinds[IncidentEvent.INCIDENT_RESOLVED] is False


def test_a_step_now_notifies_by_default(manager, developer, components):
    incident = a_published_incident(manager, developer, components)
    update = services.post_update(
        actor=manager, incident=incident, status="monitoring", message="m"
    )
    assert incident.notify_subscribers is True and update.notify is True


def test_a_backfilled_reassignment_cannot_go_before_the_publication_that_followed(
    manager, developer, components
):
    from statusdesk.accounts.roles import Role
    from statusdesk.accounts.services import ensure_user

    other, _ = ensure_user("second.dev@example.com", role=Role.DEVELOPER)
    incident = an_incident_assigned_in_the_past(manager, developer, hours=3)
    services.publish_incident(
        actor=manager,
        incident=incident,
        **publication(components),
        at=timezone.now() - timedelta(hours=1),
    )
    with pytest.raises(RuleViolation, match="before the publication") as refused:
        services.assign_developer(
            actor=manager,
            incident=incident,
            developer=other,
            at=timezone.now() - timedelta(hours=2),
        )
    assert refused.value.field == "at"
    services.assign_developer(
        actor=manager, incident=incident, developer=other, at=timezone.now() - timedelta(minutes=5)
    )


def test_backfill_never_in_the_future(manager):
    with pytest.raises(RuleViolation, match="future") as refused:
        a_report(manager, at=timezone.now() + timedelta(hours=1))
    assert refused.value.field == "at"


def test_backfill_never_before_the_previous_step(manager, developer):
    report = a_report(manager, at=timezone.now() - timedelta(hours=2))
    with pytest.raises(RuleViolation, match="before the report") as refused:
        services.confirm_incident(
            actor=manager,
            report=report,
            issue_title="t",
            issue_description="d",
            at=timezone.now() - timedelta(hours=3),
        )
    assert refused.value.field == "at"


def test_backfill_needs_a_time_zone(manager):
    from datetime import datetime

    with pytest.raises(RuleViolation, match="time zone"):
        a_report(manager, at=datetime(2026, 1, 1, 12, 0))


def test_reporter_cannot_backfill(reporter):
    with pytest.raises(NotAllowed) as refused:
        a_report(reporter, at=timezone.now() - timedelta(hours=1))
    assert refused.value.field == "at"


# --- event log and reads --------------------------------------------------------------------


def test_every_step_writes_its_events_in_order(manager, developer, components):
    incident = a_published_incident(manager, developer, components)
    services.post_update(actor=manager, incident=incident, status="monitoring", message="m")
    services.resolve_incident(actor=manager, incident=incident, message="Resolved.")
    kinds = [e.kind for e in incident_timeline(incident)]
    assert kinds == [
        IncidentEvent.REPORT_FILED,
        IncidentEvent.INCIDENT_CONFIRMED,
        IncidentEvent.ISSUE_OPENED,
        IncidentEvent.DEVELOPER_ASSIGNED,
        IncidentEvent.INCIDENT_PUBLISHED,
        ComponentEvent.STATUS_CHANGED,
        ComponentEvent.STATUS_CHANGED,
        IncidentEvent.INCIDENT_UPDATED,
        IncidentEvent.INCIDENT_RESOLVED,
        ComponentEvent.STATUS_CHANGED,
        ComponentEvent.STATUS_CHANGED,
    ]


def test_reporter_sees_only_own_reports(manager, reporter):
    own = a_report(reporter)
    a_report(manager)
    assert list(queries.visible_reports(reporter)) == [own]
    assert queries.visible_reports(manager).count() == 2
    with pytest.raises(NotFound):
        queries.get_report(reporter, own.pk + 1)
    with pytest.raises(NotAllowed):
        queries.visible_incidents(reporter)


def test_open_lists(manager, developer, components):
    open_one = a_published_incident(manager, developer, components)
    closed = a_published_incident(manager, developer, components)
    services.resolve_incident(actor=manager, incident=closed, message="Resolved.")
    waiting = a_report(manager)
    assert list(queries.open_incidents(developer)) == [open_one]
    assert list(queries.open_reports(manager)) == [waiting]
    assert ComponentStatus.OPERATIONAL in Component.objects.values_list("status", flat=True)
