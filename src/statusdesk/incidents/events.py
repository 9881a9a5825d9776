"""The event kinds of the incident process and of the components (declared with core's log)."""

from __future__ import annotations

from django.db import models

from statusdesk.core.events import declare_kinds


class IncidentEvent(models.TextChoices):
    """From the report to the resolution (R1, R3–R5, R11). Payloads carry ids and values."""

    # report:<id> · reporter, medium, detection, users_affected, could_affect_two_or_more
    REPORT_FILED = "report.filed", "Problem reported"
    # report:<id> · reason
    REPORT_DISMISSED = "report.dismissed", "Report dismissed"
    # incident:<id>, report:<id> · report_id
    INCIDENT_CONFIRMED = "incident.confirmed", "Confirmed as an incident"
    # incident:<id> · issue_id
    ISSUE_OPENED = "issue.opened", "Issue opened"
    # incident:<id> · developer_id, previous_developer_id
    DEVELOPER_ASSIGNED = "developer.assigned", "Developer assigned"
    # incident:<id> · update_id, severity, component_ids, notify, reminders,
    #                 reminder_interval_minutes, next_update_due_at
    INCIDENT_PUBLISHED = "incident.published", "Published on the status page"
    # incident:<id> · update_id, status, previous_status, notify, component_statuses {id: status}
    INCIDENT_UPDATED = "incident.updated", "Update posted"
    # incident:<id> · update_id, notify
    INCIDENT_RESOLVED = "incident.resolved", "Resolved"


class ComponentEvent(models.TextChoices):
    """What happened to a component: its status (through incidents) and administrators' edits."""

    # component:<id>, incident:<id> · component_id, incident_id, previous, status, update_id,
    #                                  notify (the step's: whether subscribers hear of it)
    STATUS_CHANGED = "component.status_changed", "Component status changed"
    # component:<id> · component_id, key, name, code_name, description, position
    ADDED = "component.added", "Component added"
    # component:<id> · component_id, changes {field: [before, after]}
    CHANGED = "component.changed", "Component changed"
    # component:<id> · component_id, key, name
    REMOVED = "component.removed", "Component removed"


declare_kinds(IncidentEvent)
declare_kinds(ComponentEvent)
