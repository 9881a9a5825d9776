"""Components, reports, issues, incidents and their updates (current state; history is Events)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models

from statusdesk.incidents.limits import (
    COMPONENT_KEY_MAX,
    COMPONENT_NAME_MAX,
    DEFAULT_REMINDER_MINUTES,
    REPORTER_MAX,
    TITLE_MAX,
    URL_MAX,
)


class ComponentStatus(models.TextChoices):
    OPERATIONAL = "operational", "Operational"
    DEGRADED_PERFORMANCE = "degraded_performance", "Degraded performance"
    PARTIAL_OUTAGE = "partial_outage", "Partial outage"
    MAJOR_OUTAGE = "major_outage", "Major outage"
    UNDER_MAINTENANCE = "under_maintenance", "Under maintenance"


class Severity(models.TextChoices):
    """R5: the severities of a publication; affected components take it as their status."""

    MAJOR_OUTAGE = "major_outage", "Major outage"
    PARTIAL_OUTAGE = "partial_outage", "Partial outage"
    DEGRADED_PERFORMANCE = "degraded_performance", "Degraded performance"
    OPERATIONAL = "operational", "Operational"


class Medium(models.TextChoices):
    """R3: through which medium the problem was reported."""

    EMAIL = "email", "E-mail to the help address"
    ISSUE = "issue", "Issue"
    CHAT = "chat", "Internal chat"
    DIRECT_EMAIL = "direct_email", "Direct e-mail"
    OTHER = "other", "Other"


class Detection(models.TextChoices):
    """R3: proactive (found by the team) or reactive (reported by a customer)."""

    PROACTIVE = "proactive", "Proactive (found by the team)"
    REACTIVE = "reactive", "Reactive (reported by a customer)"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Awaiting triage"
    CONFIRMED = "confirmed", "Confirmed as an incident"
    DISMISSED = "dismissed", "Dismissed"


class IncidentStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed, not yet published"
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"


# The statuses an update may set (publication sets identified, resolution sets resolved).
UPDATE_STATUSES = [
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
]


class Component(models.Model):
    """A part of the product shown on the status page (R6)."""

    # A stable key for the seeded components of R6: an administrator may rename a component,
    # and seeding again must recognise it.
    key = models.SlugField(max_length=COMPONENT_KEY_MAX, unique=True)
    name = models.CharField(max_length=COMPONENT_NAME_MAX, unique=True)
    code_name = models.CharField(max_length=COMPONENT_NAME_MAX, blank=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=32, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code_name})" if self.code_name else self.name


class Report(models.Model):
    """A reported problem (R3). It becomes an incident only if R1 holds."""

    title = models.CharField(max_length=TITLE_MAX)
    description = models.TextField()
    # Who reported the problem (a person or address, maybe outside statusdesk) ...
    reporter = models.CharField(max_length=REPORTER_MAX)
    # ... and the statusdesk user who filed it.
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="filed_reports"
    )
    medium = models.CharField(max_length=20, choices=Medium.choices)
    detection = models.CharField(max_length=20, choices=Detection.choices)
    users_affected = models.PositiveIntegerField()
    could_affect_two_or_more = models.BooleanField(default=False)
    reported_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    dismissed_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        # One index under each list's order (queries.py): every report, one status (the open
        # ones for triage, oldest first, read backwards), a reporter's own.
        indexes = [
            models.Index(fields=["reported_at", "id"], name="report_time"),
            models.Index(fields=["status", "reported_at", "id"], name="report_status_time"),
            models.Index(fields=["filed_by", "reported_at", "id"], name="report_filer_time"),
        ]
        permissions = [
            ("report_problem", "Can report a problem"),
            ("view_all_reports", "Can see every report"),
        ]

    def __str__(self) -> str:
        return f"R-{self.pk} {self.title}"


class Issue(models.Model):
    """R4: the detailed issue describing the problem, kept here, optionally linked outside."""

    title = models.CharField(max_length=TITLE_MAX)
    description = models.TextField()
    url = models.URLField(max_length=URL_MAX, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.title


class Incident(models.Model):
    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="incident")
    issue = models.OneToOneField(Issue, on_delete=models.PROTECT, related_name="incident")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="managed_incidents"
    )
    developer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_incidents",
    )
    status = models.CharField(
        max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.CONFIRMED
    )
    # The publication (R5); empty until published.
    name = models.CharField(max_length=TITLE_MAX, blank=True)
    message = models.TextField(blank=True)
    workaround = models.TextField(blank=True)
    workaround_url = models.URLField(max_length=URL_MAX, blank=True)
    severity = models.CharField(max_length=32, choices=Severity.choices, blank=True)
    components: models.ManyToManyField[Component, AffectedComponent] = models.ManyToManyField(
        Component, through="AffectedComponent", related_name="incidents", blank=True
    )
    notify_subscribers = models.BooleanField(default=True)
    reminders_enabled = models.BooleanField(default=True)
    reminder_interval_minutes = models.PositiveIntegerField(default=DEFAULT_REMINDER_MINUTES)
    # R10: when the next public update is due (a missed update stays visible), and, apart from
    # it, when the next reminder goes out (advanced by the reminder that claims it).
    next_update_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    next_reminder_at = models.DateTimeField(null=True, blank=True, db_index=True)

    confirmed_at = models.DateTimeField()
    assigned_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    last_update_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-confirmed_at", "-id"]
        # One index under each list's order (queries.py): every incident, one status, the open
        # ones (a partial index: small however long the history), the resolved ones by resolution.
        indexes = [
            models.Index(fields=["confirmed_at", "id"], name="incident_time"),
            models.Index(fields=["status", "confirmed_at", "id"], name="incident_status_time"),
            models.Index(
                fields=["confirmed_at", "id"],
                name="incident_open",
                condition=~models.Q(status=IncidentStatus.RESOLVED),
            ),
            models.Index(fields=["status", "resolved_at", "id"], name="incident_resolution"),
            # The public Incidents Page (R20): published incidents by publication.
            models.Index(
                fields=["published_at", "id"],
                name="incident_published",
                condition=models.Q(published_at__isnull=False),
            ),
        ]
        permissions = [
            ("view_incidents", "Can see every incident"),
            ("manage_incidents", "Can confirm, assign, publish, update and resolve incidents"),
            ("backfill_history", "Can record past steps with an explicit time"),
        ]

    def __str__(self) -> str:
        return f"INC-{self.pk} {self.title}"

    @property
    def title(self) -> str:
        return self.name or self.issue.title

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def is_resolved(self) -> bool:
        return self.status == IncidentStatus.RESOLVED

    @property
    def last_activity_at(self) -> datetime:
        """The time of the latest step recorded: a new step may not be dated before it."""
        steps = [self.confirmed_at, self.assigned_at, self.published_at, self.last_update_at]
        return max(step for step in steps if step is not None)


class AffectedComponent(models.Model):
    """A component an incident affects, with the status this incident gives it (the last one it
    gave, once the incident is resolved: what this incident did).

    A component's own status is derived from the active ones: the worst status that any open,
    published incident gives it, or operational when none does. `active` is true from the
    publication to the resolution, so the derivation reads only the open incidents' rows, however
    long the history grows."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="affected")
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="affected_by")
    status = models.CharField(max_length=32, choices=ComponentStatus.choices)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["component__position", "component__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "component"], name="one_status_per_incident"
            )
        ]
        indexes = [
            models.Index(
                fields=["component", "status"],
                name="affected_active",
                condition=models.Q(active=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.component.name}: {self.get_status_display()}"


class IncidentUpdate(models.Model):
    """A message posted on the status page: the publication, an update or the resolution."""

    class Kind(models.TextChoices):
        PUBLICATION = "publication", "Publication"
        UPDATE = "update", "Update"
        RESOLUTION = "resolution", "Resolution"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="updates")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=IncidentStatus.choices)
    message = models.TextField()
    notify = models.BooleanField(default=True)
    component_statuses = models.JSONField(default=dict, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at", "id"], name="update_incident_at")]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.message[:40]}"
