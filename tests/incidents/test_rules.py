"""The process rules of issue 2, one or more tests each, named after the rule (docs/rules.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from statusdesk.core.errors import IllegalTransition, NotAllowed, RuleViolation
from statusdesk.core.models import Event
from statusdesk.incidents import queries, services
from statusdesk.incidents.components import ensure_default_components
from statusdesk.incidents.events import ComponentEvent, IncidentEvent
from statusdesk.incidents.models import (
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Issue,
    Report,
    ReportStatus,
)
from tests.factories import (
    a_confirmed_incident,
    a_published_incident,
    a_report,
    an_assigned_incident,
    an_incident_assigned_in_the_past,
    publication,
)

pytestmark = pytest.mark.django_db


# --- R1 incident threshold ------------------------------------------------------------------


def test_r1_single_user_report_is_not_an_incident(manager):
    report = a_report(manager, users_affected=1, could_affect_two_or_more=False)
    events_before = Event.objects.count()
    with pytest.raises(RuleViolation) as refused:
        services.confirm_incident(
            actor=manager, report=report, issue_title="t", issue_description="d"
        )
    assert refused.value.rule == "R1"
    assert refused.value.field == "users_affected"
    assert "at least two users" in refused.value.message
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN
    assert Incident.objects.count() == 0 and Issue.objects.count() == 0
    assert Event.objects.count() == events_before


def test_r1_report_that_affected_nobody_yet_is_not_an_incident(manager):
    report = a_report(manager, users_affected=0, could_affect_two_or_more=False)
    with pytest.raises(RuleViolation, match="0 users"):
        services.confirm_incident(
            actor=manager, report=report, issue_title="t", issue_description="d"
        )


def test_r1_two_affected_users_make_an_incident(manager):
    report = a_report(manager, users_affected=2, could_affect_two_or_more=False)
    incident = services.confirm_incident(
        actor=manager, report=report, issue_title="t", issue_description="d"
    )
    assert incident.report == report
    report.refresh_from_db()
    assert report.status == ReportStatus.CONFIRMED


def test_r1_one_user_that_could_affect_two_or_more_is_an_incident(manager):
    report = a_report(manager, users_affected=1, could_affect_two_or_more=True)
    incident = services.confirm_incident(
        actor=manager, report=report, issue_title="t", issue_description="d"
    )
    assert incident.status == IncidentStatus.CONFIRMED


def test_r1_a_problem_found_by_the_team_counts_like_a_customer_report(manager):
    # The threshold holds "regardless of whether they have been reported or not": a problem the
    # team found itself (proactive, over internal chat) that could affect two users qualifies.
    report = a_report(
        manager,
        users_affected=0,
        could_affect_two_or_more=True,
        detection="proactive",
        medium="chat",
    )
    incident = services.confirm_incident(
        actor=manager, report=report, issue_title="t", issue_description="d"
    )
    assert incident.report.detection == "proactive"


# --- R3 detection record --------------------------------------------------------------------


def test_r3_report_records_reporter_medium_time_and_detection(reporter):
    before = timezone.now()
    report = a_report(
        reporter, reporter="ana@client.example", medium="direct_email", detection="reactive"
    )
    assert report.reporter == "ana@client.example"
    assert report.medium == "direct_email"
    assert report.detection == "reactive"
    assert report.filed_by == reporter
    assert before <= report.reported_at <= timezone.now()
    event = Event.objects.about(f"report:{report.pk}").get(kind=IncidentEvent.REPORT_FILED)
    assert event.actor == reporter
    assert event.data["medium"] == "direct_email" and event.data["detection"] == "reactive"


@pytest.mark.parametrize("medium", ["email", "issue", "chat", "direct_email", "other"])
def test_r3_every_medium_of_the_document_is_accepted(reporter, medium):
    assert a_report(reporter, medium=medium).medium == medium


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("medium", "carrier_pigeon"),
        ("detection", "accidental"),
        ("reporter", "  "),
        ("users_affected", -1),
        ("users_affected", None),
    ],
)
def test_r3_report_without_a_valid_detection_record_is_refused(reporter, field, value):
    with pytest.raises(RuleViolation) as refused:
        a_report(reporter, **{field: value})
    assert refused.value.field == field
    assert refused.value.rule == "R3"
    assert Report.objects.count() == 0
    assert Event.objects.count() == 0


def test_r3_report_lists_every_problem_at_once(reporter):
    with pytest.raises(RuleViolation) as refused:
        a_report(reporter, title="", medium="fax", detection="")
    fields = {item["field"] for item in refused.value.errors}
    assert fields == {"title", "medium", "detection"}


def test_r3_incident_keeps_the_detection_record(manager):
    incident = a_confirmed_incident(manager, medium="issue", detection="proactive")
    assert incident.report.medium == "issue"
    assert incident.report.detection == "proactive"


# --- R4 issue and assignment ----------------------------------------------------------------


def test_r4_confirming_opens_a_detailed_issue(manager):
    incident = a_confirmed_incident(manager)
    assert incident.issue.title == "Login returns 500"
    assert incident.issue.description.startswith("POST /login")
    assert incident.issue.url == "https://gitlab.example.com/product/-/issues/42"
    kinds = list(Event.objects.about(f"incident:{incident.pk}").values_list("kind", flat=True))
    assert kinds == [IncidentEvent.INCIDENT_CONFIRMED, IncidentEvent.ISSUE_OPENED]


def test_r4_issue_needs_a_description(manager):
    report = a_report(manager)
    with pytest.raises(RuleViolation) as refused:
        services.confirm_incident(
            actor=manager, report=report, issue_title="Login", issue_description=" "
        )
    assert refused.value.field == "issue_description" and refused.value.rule == "R4"
    assert Incident.objects.count() == 0


def test_r4_issue_link_must_be_a_url(manager):
    report = a_report(manager)
    with pytest.raises(RuleViolation) as refused:
        services.confirm_incident(
            actor=manager,
            report=report,
            issue_title="Login",
            issue_description="d",
            issue_url="not a link",
        )
    assert refused.value.field == "issue_url"


def test_r4_manager_assigns_a_developer(manager, developer):
    incident = an_assigned_incident(manager, developer)
    assert incident.developer == developer
    event = Event.objects.about(f"incident:{incident.pk}").get(
        kind=IncidentEvent.DEVELOPER_ASSIGNED
    )
    assert event.data == {"developer_id": developer.pk, "previous_developer_id": None}
    assert event.actor == manager


def test_r4_only_a_developer_can_be_assigned(manager, desk_member):
    incident = a_confirmed_incident(manager)
    with pytest.raises(RuleViolation) as refused:
        services.assign_developer(actor=manager, incident=incident, developer=desk_member.email)
    assert refused.value.field == "developer" and refused.value.rule == "R4"
    incident.refresh_from_db()
    assert incident.developer is None


def test_r4_reassigning_keeps_one_accountable_developer(manager, developer):
    from statusdesk.accounts.roles import Role
    from statusdesk.accounts.services import ensure_user

    other, _ = ensure_user("second.dev@example.com", role=Role.DEVELOPER)
    incident = an_assigned_incident(manager, developer)
    services.assign_developer(actor=manager, incident=incident, developer=other.email)
    incident.refresh_from_db()
    assert incident.developer == other
    last = Event.objects.filter(kind=IncidentEvent.DEVELOPER_ASSIGNED).last()
    assert last is not None
    assert last.data == {"developer_id": other.pk, "previous_developer_id": developer.pk}


def test_r4_developer_cannot_assign(manager, developer):
    incident = a_confirmed_incident(manager)
    with pytest.raises(NotAllowed):
        services.assign_developer(actor=developer, incident=incident, developer=developer.email)


# --- R5 publication -------------------------------------------------------------------------


def test_r5_publish_sets_status_identified(manager, developer, components):
    incident = a_published_incident(manager, developer, components)
    assert incident.status == IncidentStatus.IDENTIFIED
    assert incident.published_at is not None
    update = IncidentUpdate.objects.get(incident=incident)
    assert update.kind == IncidentUpdate.Kind.PUBLICATION
    assert update.status == IncidentStatus.IDENTIFIED


def test_r5_affected_components_take_the_severity(manager, developer, components):
    incident = a_published_incident(manager, developer, components, severity="major_outage")
    platform, web, docs = (Component.objects.get(pk=c.pk) for c in components[:3])
    assert platform.status == web.status == ComponentStatus.MAJOR_OUTAGE
    assert docs.status == ComponentStatus.OPERATIONAL
    changes = Event.objects.about(f"incident:{incident.pk}").filter(
        kind=ComponentEvent.STATUS_CHANGED
    )
    assert sorted(e.data["component_id"] for e in changes) == sorted([platform.pk, web.pk])


def test_r5_defaults_notify_and_hourly_reminders(manager, developer, components):
    incident = a_published_incident(manager, developer, components)
    assert incident.notify_subscribers is True
    assert incident.reminders_enabled is True
    assert incident.reminder_interval_minutes == 60
    assert incident.next_reminder_at == incident.published_at + timedelta(minutes=60)


def test_r5_reminders_can_be_turned_off(manager, developer, components):
    incident = a_published_incident(manager, developer, components, reminders=False)
    assert incident.reminders_enabled is False and incident.next_reminder_at is None


# --- R10 follow-up: the next public update is due one interval after the last ---------------


def test_r10_the_next_update_is_due_one_interval_after_the_publication(
    manager, developer, components
):
    incident = a_published_incident(manager, developer, components, reminder_interval_minutes=30)
    assert incident.next_update_due_at == incident.published_at + timedelta(minutes=30)
    assert queries.update_overdue(incident) is False
    update = services.post_update(
        actor=manager, incident=incident, status="monitoring", message="m"
    )
    incident.refresh_from_db()
    assert incident.next_update_due_at == update.at + timedelta(minutes=30)


def test_r10_a_missed_update_stays_visible_when_the_reminder_clock_moves(
    manager, developer, components
):
    incident = an_incident_assigned_in_the_past(manager, developer, hours=3)
    services.publish_incident(
        actor=manager,
        incident=incident,
        **publication(components),
        at=timezone.now() - timedelta(hours=2),
    )
    incident.refresh_from_db()
    assert queries.update_overdue(incident) is True
    # A reminder goes out and claims the next one an hour later (the reminders' own clock)...
    Incident.objects.filter(pk=incident.pk).update(
        next_reminder_at=timezone.now() + timedelta(hours=1)
    )
    incident.refresh_from_db()
    # ...and the missed update is still missed until the manager posts one.
    assert queries.update_overdue(incident) is True
    services.post_update(actor=manager, incident=incident, status="identified", message="m")
    incident.refresh_from_db()
    assert queries.update_overdue(incident) is False


def test_r10_with_reminders_off_no_update_is_due(manager, developer, components):
    incident = a_published_incident(manager, developer, components, reminders=False)
    assert incident.next_update_due_at is None and incident.next_reminder_at is None
    assert queries.update_overdue(incident) is False


def test_r10_a_resolved_incident_owes_no_update(manager, developer, components):
    incident = a_published_incident(manager, developer, components)
    services.resolve_incident(actor=manager, incident=incident, message="Resolved.")
    incident.refresh_from_db()
    assert incident.next_update_due_at is None
    assert queries.update_overdue(incident) is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("message", "   "),
        ("workaround", ""),
        ("workaround_url", ""),
        ("workaround_url", "docs/sso"),
        ("workaround_url", "ftp://docs.example.com/sso"),
        ("component_ids", []),
        ("component_ids", [999999]),
        ("component_ids", ["platform"]),
        ("severity", "catastrophic"),
        ("severity", "under_maintenance"),
        ("reminder_interval_minutes", 0),
        ("reminder_interval_minutes", 100000),
    ],
)
def test_r5_publication_needs_every_field(manager, developer, components, field, value):
    incident = an_assigned_incident(manager, developer)
    events_before = Event.objects.count()
    with pytest.raises(RuleViolation) as refused:
        services.publish_incident(
            actor=manager, incident=incident, **publication(components, **{field: value})
        )
    assert refused.value.field == field
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CONFIRMED and not incident.is_published
    assert Event.objects.count() == events_before
    assert set(Component.objects.values_list("status", flat=True)) == {"operational"}


@pytest.mark.parametrize(
    "severity", ["major_outage", "partial_outage", "degraded_performance", "operational"]
)
def test_r5_each_severity_of_the_document(manager, developer, components, severity):
    incident = a_published_incident(manager, developer, components, severity=severity)
    assert incident.severity == severity
    assert Component.objects.get(pk=components[0].pk).status == severity


def test_r5_publication_follows_assignment(manager, components):
    incident = a_confirmed_incident(manager)
    with pytest.raises(IllegalTransition) as refused:
        services.publish_incident(actor=manager, incident=incident, **publication(components))
    assert refused.value.field == "developer"


def test_r5_publishing_twice_is_refused(manager, developer, components):
    incident = a_published_incident(manager, developer, components)
    with pytest.raises(IllegalTransition, match="already published"):
        services.publish_incident(actor=manager, incident=incident, **publication(components))


# --- R6 default components ------------------------------------------------------------------


def test_r6_the_eight_components_of_the_document(components):
    assert [(c.name, c.code_name) for c in components] == [
        ("Platform", "Integrates"),
        ("Web", "Airs"),
        ("Docs", "Docs"),
        ("Agent", "Forces"),
        ("Cloning", "Melts"),
        ("Scanning", "Machine"),
        ("Extensions", "Retrieves"),
        ("Mailing", "Mailing"),
    ]
    assert {c.status for c in components} == {ComponentStatus.OPERATIONAL}


def test_r6_seeding_components_twice_adds_nothing(components):
    assert ensure_default_components() == 0
    assert Component.objects.count() == 8


def test_r6_an_edited_component_is_kept_by_seeding(components):
    Component.objects.filter(name="Docs").update(description="Edited by an administrator")
    ensure_default_components()
    assert Component.objects.get(name="Docs").description == "Edited by an administrator"


def test_r6_a_renamed_component_is_not_seeded_again(components):
    Component.objects.filter(name="Docs").update(name="Documentation", code_name="Handbook")
    assert ensure_default_components() == 0
    assert Component.objects.count() == 8
    assert not Component.objects.filter(name="Docs").exists()


# --- R11 closure ----------------------------------------------------------------------------


def test_r11_resolution_returns_components_to_operational(manager, developer, components):
    incident = a_published_incident(manager, developer, components, severity="major_outage")
    services.resolve_incident(
        actor=manager,
        incident=incident,
        message="The login problem is resolved.\nThe Platform works normally again.",
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED and incident.resolved_at is not None
    assert incident.next_reminder_at is None
    assert set(Component.objects.values_list("status", flat=True)) == {"operational"}
    resolution = incident.updates.get(kind=IncidentUpdate.Kind.RESOLUTION)
    assert resolution.status == IncidentStatus.RESOLVED


@pytest.mark.parametrize(
    "message",
    ["", "   \n  ", "One.\nTwo.\nThree.", "x" * 281],
)
def test_r11_resolution_message_is_at_most_two_nonempty_lines(
    manager, developer, components, message
):
    incident = a_published_incident(manager, developer, components)
    events_before = Event.objects.count()
    with pytest.raises(RuleViolation) as refused:
        services.resolve_incident(actor=manager, incident=incident, message=message)
    assert refused.value.rule == "R11" and refused.value.field == "message"
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IDENTIFIED
    assert Event.objects.count() == events_before


def test_r11_blank_lines_do_not_count_and_are_dropped(manager, developer, components):
    incident = a_published_incident(manager, developer, components)
    services.resolve_incident(
        actor=manager, incident=incident, message="\nResolved.\n\n  Docs work again.  \n"
    )
    resolution = incident.updates.get(kind=IncidentUpdate.Kind.RESOLUTION)
    assert resolution.message == "Resolved.\nDocs work again."


def test_r11_resolved_incident_cannot_be_resolved_again(manager, developer, components):
    incident = a_published_incident(manager, developer, components)
    services.resolve_incident(actor=manager, incident=incident, message="Resolved.")
    with pytest.raises(IllegalTransition, match="resolved"):
        services.resolve_incident(actor=manager, incident=incident, message="Resolved again.")
    assert incident.updates.filter(kind=IncidentUpdate.Kind.RESOLUTION).count() == 1


def test_r11_resolved_incident_cannot_be_updated(manager, developer, components):
    incident = a_published_incident(manager, developer, components)
    services.resolve_incident(actor=manager, incident=incident, message="Resolved.")
    with pytest.raises(IllegalTransition):
        services.post_update(
            actor=manager, incident=incident, status="monitoring", message="Still watching"
        )


def test_r11_component_of_another_open_incident_stays_affected(manager, developer, components):
    first = a_published_incident(manager, developer, components, severity="major_outage")
    second = a_published_incident(
        manager,
        developer,
        components,
        severity="partial_outage",
        component_ids=[components[0].pk],
    )
    # A milder second incident does not hide the first one's major outage.
    assert Component.objects.get(name="Platform").status == ComponentStatus.MAJOR_OUTAGE
    services.resolve_incident(actor=manager, incident=first, message="Resolved.")
    statuses = dict(Component.objects.values_list("name", "status"))
    assert statuses["Web"] == ComponentStatus.OPERATIONAL
    # Platform is still affected by the second incident, so it is not declared operational.
    assert statuses["Platform"] == ComponentStatus.PARTIAL_OUTAGE
    resolution = first.updates.get(kind=IncidentUpdate.Kind.RESOLUTION)
    assert resolution.component_statuses == {
        str(components[0].pk): ComponentStatus.PARTIAL_OUTAGE,
        str(components[1].pk): ComponentStatus.OPERATIONAL,
    }
    services.resolve_incident(actor=manager, incident=second, message="Resolved.")
    assert Component.objects.get(name="Platform").status == ComponentStatus.OPERATIONAL


def test_r11_resolving_the_worse_incident_leaves_the_milder_status(manager, developer, components):
    milder = a_published_incident(manager, developer, components, severity="degraded_performance")
    worse = a_published_incident(manager, developer, components, severity="major_outage")
    assert Component.objects.get(pk=components[0].pk).status == ComponentStatus.MAJOR_OUTAGE
    services.resolve_incident(actor=manager, incident=worse, message="Resolved.")
    platform = Component.objects.get(pk=components[0].pk)
    assert platform.status == ComponentStatus.DEGRADED_PERFORMANCE
    services.resolve_incident(actor=manager, incident=milder, message="Resolved.")
    assert set(Component.objects.values_list("status", flat=True)) == {"operational"}


def test_r11_unpublished_incident_cannot_be_resolved(manager, developer):
    incident = an_assigned_incident(manager, developer)
    with pytest.raises(IllegalTransition, match="publish"):
        services.resolve_incident(actor=manager, incident=incident, message="Resolved.")
