"""What the analytics group: one narrow row per incident (analytics/figures.py keeps it)."""

from __future__ import annotations

from django.db import models

from statusdesk.incidents.models import Component, Incident


class IncidentFigures(models.Model):
    """An incident's times in seconds (R15; None while a moment is unknown), the month of its
    report in the display zone, its severity and detection. Kept by the durable reaction
    `analytics.incident_figures` to the incident's and the postmortem's events; written for the
    incidents of before by the migration that created it."""

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    month = models.CharField(max_length=7)  # "YYYY-MM" of the report, in `zone`
    zone = models.CharField(max_length=64)  # the display zone `month` was read in
    severity = models.CharField(max_length=32, blank=True)
    detection = models.CharField(max_length=16)
    ttd = models.FloatField(null=True)
    ttf = models.FloatField(null=True)
    ttr = models.FloatField(null=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["refreshed_at"], name="figures_refreshed")]

    def __str__(self) -> str:
        return f"Figures of INC-{self.incident_id}"


class ComponentFigures(models.Model):
    """The incident's seconds again, once for each component it affected: the per-component
    means are then one grouped scan of one narrow table. Kept with IncidentFigures."""

    figures = models.ForeignKey(
        IncidentFigures, on_delete=models.CASCADE, related_name="components"
    )
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="+")
    ttd = models.FloatField(null=True)
    ttf = models.FloatField(null=True)
    ttr = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["figures", "component"], name="figures_component_once")
        ]

    def __str__(self) -> str:
        return f"Figures of INC-{self.figures_id} for component {self.component_id}"
