"""The append-only event log: every state change, with its actor and its time.

Current state lives on the models of each app; history lives only here. The incident timeline,
the audit log and (later) uptime history and the postmortem's Impact section are read from it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class EventKind(models.TextChoices):
    REPORT_FILED = "report.filed", "Problem reported"
    REPORT_DISMISSED = "report.dismissed", "Report dismissed"
    INCIDENT_CONFIRMED = "incident.confirmed", "Confirmed as an incident"
    ISSUE_OPENED = "issue.opened", "Issue opened"
    DEVELOPER_ASSIGNED = "developer.assigned", "Developer assigned"
    INCIDENT_PUBLISHED = "incident.published", "Published on the status page"
    INCIDENT_UPDATED = "incident.updated", "Update posted"
    COMPONENT_STATUS_CHANGED = "component.status_changed", "Component status changed"
    INCIDENT_RESOLVED = "incident.resolved", "Resolved"


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete a recorded event."""


class EventQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("events are append-only: they are never updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("events are append-only: they are never deleted")


class Event(models.Model):
    kind = models.CharField(max_length=64, choices=EventKind.choices, db_index=True)
    # When it happened (may be back-filled by an incident manager), and when it was recorded.
    at = models.DateTimeField(db_index=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    report = models.ForeignKey(
        "incidents.Report", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    component = models.ForeignKey(
        "incidents.Component",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    data = models.JSONField(default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["incident", "at"]),
            models.Index(fields=["component", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("events are append-only: they are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("events are append-only: they are never deleted")
